using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A cascade laid out for evaluation: every tree node carries its feature's rectangle corner
/// offsets (for one integral-image stride) and weights inline, so that evaluating a window touches
/// one contiguous array. Window evaluation follows OpenCV's published arithmetic exactly:
/// feature value <c>(w0·s0 + w1·s1 [+ w2·s2]) · n</c> in single precision, where <c>n</c> is
/// <c>1 / sqrt(area·Σx² − (Σx)²)</c> over the window less a one-pixel border; a stump adds its left
/// leaf when the value is below its threshold, its right leaf otherwise; a stage's double-precision
/// sum below the stage threshold (less 1e-5, as OpenCV reads it) rejects the window.
/// </summary>
internal sealed unsafe class CompiledCascade
{
    // OpenCV lowers every stage threshold by this when it reads a cascade.
    internal const float StageThresholdEpsilon = 1e-5f;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Node
    {
        public int A0, B0, C0, D0;
        public int A1, B1, C1, D1;
        public int A2, B2, C2, D2;
        public float W0, W1, W2;
        public float Threshold;
        public float LeftValue, RightValue;
        public int Left, Right;
    }

    private readonly HaarCascade _cascade;
    private readonly Node[] _nodes;
    private readonly float[] _leaves;
    private readonly int[] _stageTreeCount;
    private readonly float[] _stageThreshold;
    private readonly int[] _treeNodeCount;
    private readonly bool _stumps;

    public CompiledCascade(HaarCascade cascade, int stride, int tiltedOffset)
    {
        _cascade = cascade;
        Stride = stride;
        TiltedOffset = tiltedOffset;
        _stumps = cascade.IsStumpBased;
        int stageCount = cascade.Stages.Count;
        _stageTreeCount = new int[stageCount];
        _stageThreshold = new float[stageCount];
        var nodes = new List<Node>();
        var leaves = new List<float>();
        var treeNodeCount = new List<int>();
        for (int s = 0; s < stageCount; s++)
        {
            var stage = cascade.Stages[s];
            _stageTreeCount[s] = stage.Trees.Count;
            _stageThreshold[s] = stage.Threshold - StageThresholdEpsilon;
            foreach (var tree in stage.Trees)
            {
                treeNodeCount.Add(tree.Nodes.Count);
                foreach (var n in tree.Nodes)
                {
                    var node = Compile(cascade.Features[n.FeatureIndex], stride, tiltedOffset);
                    node.Threshold = n.Threshold;
                    node.Left = n.Left;
                    node.Right = n.Right;
                    if (_stumps)
                    {
                        node.LeftValue = tree.Leaves[0];
                        node.RightValue = tree.Leaves[1];
                    }
                    nodes.Add(node);
                }
                leaves.AddRange(tree.Leaves);
            }
        }
        _nodes = GC.AllocateArray<Node>(nodes.Count, pinned: true);
        nodes.CopyTo(_nodes);
        _leaves = GC.AllocateArray<float>(leaves.Count, pinned: true);
        leaves.CopyTo(_leaves);
        _treeNodeCount = GC.AllocateArray<int>(treeNodeCount.Count, pinned: true);
        treeNodeCount.CopyTo(_treeNodeCount);

        int w = cascade.WindowWidth, h = cascade.WindowHeight;
        NormArea = (w - 2) * (h - 2);
        _normA = 1 + stride;
        _normB = w - 1 + stride;
        _normC = 1 + stride * (h - 1);
        _normD = w - 1 + stride * (h - 1);
    }

    private readonly int _normA, _normB, _normC, _normD;

    public int Stride { get; }

    public int TiltedOffset { get; }

    public int NormArea { get; }

    public HaarCascade Cascade => _cascade;

    internal static Node Compile(HaarFeature feature, int stride, int tiltedOffset)
    {
        var node = new Node();
        Span<int> o = stackalloc int[12];
        Span<float> weights = stackalloc float[3];
        for (int r = 0; r < feature.Rectangles.Count; r++)
        {
            var rect = feature.Rectangles[r];
            weights[r] = rect.Weight;
            if (feature.Tilted)
            {
                o[4 * r] = tiltedOffset + rect.X + stride * rect.Y;
                o[4 * r + 1] = tiltedOffset + rect.X - rect.Height + stride * (rect.Y + rect.Height);
                o[4 * r + 2] = tiltedOffset + rect.X + rect.Width + stride * (rect.Y + rect.Width);
                o[4 * r + 3] = tiltedOffset + rect.X + rect.Width - rect.Height + stride * (rect.Y + rect.Width + rect.Height);
            }
            else
            {
                o[4 * r] = rect.X + stride * rect.Y;
                o[4 * r + 1] = rect.X + rect.Width + stride * rect.Y;
                o[4 * r + 2] = rect.X + stride * (rect.Y + rect.Height);
                o[4 * r + 3] = rect.X + rect.Width + stride * (rect.Y + rect.Height);
            }
        }
        (node.A0, node.B0, node.C0, node.D0) = (o[0], o[1], o[2], o[3]);
        (node.A1, node.B1, node.C1, node.D1) = (o[4], o[5], o[6], o[7]);
        (node.A2, node.B2, node.C2, node.D2) = (o[8], o[9], o[10], o[11]);
        (node.W0, node.W1, node.W2) = (weights[0], weights[1], weights[2]);
        return node;
    }

    /// <summary>
    /// Evaluates the window whose top-left integral element is at <paramref name="offset"/>:
    /// 1 when every stage passes, <c>-k</c> when stage <c>k</c> rejects it (0 for the first stage),
    /// -1 when its contrast is too low: like OpenCV, a window is only evaluated when
    /// <c>area / sqrt(area·Σx² − (Σx)²) &lt; 0.1</c>, i.e. its standard deviation exceeds 10 grey levels.
    /// </summary>
    public int Evaluate(int* sums, int* squares, int offset)
    {
        if (!TryNormalisation(sums, squares, offset, out float norm))
            return -1;
        return _stumps ? EvaluateStumps(sums + offset, norm) : EvaluateTrees(sums + offset, norm);
    }

    /// <summary>
    /// The variance normalisation factor of the window at <paramref name="offset"/>, or false when its
    /// contrast is too low for the window to be evaluated (see <see cref="Evaluate"/>).
    /// </summary>
    internal bool TryNormalisation(int* sums, int* squares, int offset, out float norm)
    {
        int* win = sums + offset;
        int* sq = squares + offset;
        int valSum = win[_normA] - win[_normB] - win[_normC] + win[_normD];
        uint valSq = unchecked((uint)(sq[_normA] - sq[_normB] - sq[_normC] + sq[_normD]));
        double area = NormArea;
        double nf = area * valSq - (double)valSum * valSum;
        norm = 0;
        if (!(nf > 0))
            return false;
        norm = (float)(1.0 / Math.Sqrt(nf));
        return area * norm < 0.1;
    }

    private int EvaluateStumps(int* win, float norm)
    {
        fixed (Node* first = _nodes)
        fixed (int* treeCounts = _stageTreeCount)
        fixed (float* thresholds = _stageThreshold)
        {
            Node* node = first;
            int stages = _stageTreeCount.Length;
            for (int s = 0; s < stages; s++)
            {
                double sum = 0;
                Node* end = node + treeCounts[s];
                for (; node < end; node++)
                {
                    float value = FeatureValue(node, win) * norm;
                    sum += value < node->Threshold ? node->LeftValue : node->RightValue;
                }
                if (sum < thresholds[s])
                    return -s;
            }
            return 1;
        }
    }

    private int EvaluateTrees(int* win, float norm)
    {
        fixed (Node* nodes = _nodes)
        fixed (float* leaves = _leaves)
        fixed (int* treeCounts = _stageTreeCount)
        fixed (int* treeNodes = _treeNodeCount)
        fixed (float* thresholds = _stageThreshold)
        {
            int nodeOffset = 0, leafOffset = 0, tree = 0;
            int stages = _stageTreeCount.Length;
            for (int s = 0; s < stages; s++)
            {
                double sum = 0;
                for (int t = 0; t < treeCounts[s]; t++, tree++)
                {
                    int child = 0;
                    do
                    {
                        Node* node = nodes + nodeOffset + child;
                        float value = FeatureValue(node, win) * norm;
                        child = value < node->Threshold ? node->Left : node->Right;
                    }
                    while (child > 0);
                    sum += leaves[leafOffset - child];
                    nodeOffset += treeNodes[tree];
                    leafOffset += treeNodes[tree] + 1;
                }
                if (sum < thresholds[s])
                    return -s;
            }
            return 1;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static float FeatureValue(Node* node, int* win)
    {
        float value = node->W0 * (win[node->A0] - win[node->B0] - win[node->C0] + win[node->D0])
                    + node->W1 * (win[node->A1] - win[node->B1] - win[node->C1] + win[node->D1]);
        if (node->W2 != 0)
            value += node->W2 * (win[node->A2] - win[node->B2] - win[node->C2] + win[node->D2]);
        return value;
    }
}
