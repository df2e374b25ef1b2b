namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A weak classifier of a boosted stage: a small decision tree over Haar features whose leaves
/// hold the values the stage adds up. Most cascades use stumps (one split, two leaves).
/// </summary>
public sealed class HaarTree
{
    private readonly HaarTreeNode[] _nodes;
    private readonly float[] _leaves;

    /// <summary>Creates a tree; node 0 is the root.</summary>
    /// <param name="nodes">The splits, root first (see <see cref="HaarTreeNode"/> for child references).</param>
    /// <param name="leaves">The leaf values.</param>
    public HaarTree(IEnumerable<HaarTreeNode> nodes, IEnumerable<float> leaves)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(leaves);
        _nodes = nodes.ToArray();
        _leaves = leaves.ToArray();
        if (_nodes.Length == 0)
            throw new ArgumentException("A tree needs at least one node.", nameof(nodes));
        // A binary tree has one leaf more than splits; OpenCV's evaluator relies on it to find the next tree's leaves.
        if (_leaves.Length != _nodes.Length + 1)
            throw new ArgumentException($"A tree with {_nodes.Length} nodes must have {_nodes.Length + 1} leaves, got {_leaves.Length}.", nameof(leaves));
        foreach (var node in _nodes)
        {
            CheckChild(node.Left);
            CheckChild(node.Right);
            if (!float.IsFinite(node.Threshold))
                throw new ArgumentException($"Node thresholds must be finite, got {node.Threshold}.", nameof(nodes));
        }
        foreach (float leaf in _leaves)
        {
            if (!float.IsFinite(leaf))
                throw new ArgumentException($"Leaf values must be finite, got {leaf}.", nameof(leaves));
        }
        CheckAcyclic();
    }

    /// <summary>A stump: one split on a feature and two leaf values.</summary>
    public static HaarTree Stump(int featureIndex, float threshold, float leftValue, float rightValue) =>
        new([new HaarTreeNode(featureIndex, threshold, 0, -1)], [leftValue, rightValue]);

    /// <summary>The splits, root first.</summary>
    public IReadOnlyList<HaarTreeNode> Nodes => _nodes;

    /// <summary>The leaf values.</summary>
    public IReadOnlyList<float> Leaves => _leaves;

    /// <summary>Whether the tree is a stump with leaves 0 (left) and 1 (right).</summary>
    public bool IsStump => _nodes.Length == 1 && _nodes[0].Left == 0 && _nodes[0].Right == -1 && _leaves.Length == 2;

    private void CheckChild(int child)
    {
        if (child > 0 && child >= _nodes.Length)
            throw new ArgumentException($"A node refers to node {child}, but the tree has {_nodes.Length} nodes.");
        if (child <= 0 && -child >= _leaves.Length)
            throw new ArgumentException($"A node refers to leaf {-child}, but the tree has {_leaves.Length} leaves.");
    }

    // The evaluator walks children until it reaches a leaf, so a cycle would never end.
    private void CheckAcyclic()
    {
        var state = new byte[_nodes.Length];
        var stack = new Stack<int>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            if (state[n] != 0)
                throw new ArgumentException($"Tree node {n} is reached twice; a tree's nodes must form a tree.");
            state[n] = 1;
            foreach (int child in new[] { _nodes[n].Left, _nodes[n].Right })
            {
                if (child > 0)
                    stack.Push(child);
            }
        }
    }
}
