namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// Disjoint sets of pixels (union by size, the smaller set hung under the larger, ties under the first; a find
/// re-points only the pixel asked about), as OpenCV's graph segmentation keeps its components.
/// </summary>
internal sealed class PixelSets
{
    private readonly int[] _parent;
    private readonly int[] _size;

    public PixelSets(int count)
    {
        _parent = new int[count];
        _size = new int[count];
        for (int i = 0; i < count; i++)
        {
            _parent[i] = i;
            _size[i] = 1;
        }
    }

    /// <summary>The representative pixel of <paramref name="p"/>'s set.</summary>
    public int Find(int p)
    {
        int root = p;
        while (root != _parent[root])
            root = _parent[root];
        _parent[p] = root;
        return root;
    }

    /// <summary>Pixels in the set whose representative is <paramref name="root"/>.</summary>
    public int Size(int root) => _size[root];

    /// <summary>Joins the sets of two representatives; returns the representative of the union.</summary>
    public int Join(int a, int b)
    {
        if (_size[a] < _size[b])
            (a, b) = (b, a);
        _parent[b] = a;
        _size[a] += _size[b];
        return a;
    }
}
