using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Merges the raw window hits of a cascade scan the way OpenCV's <c>groupRectangles</c> does:
/// hits are joined into classes by the transitive closure of "similar" (every edge within
/// <c>eps · (min widths + min heights) / 2</c> of the other's); each class becomes its mean box
/// (coordinates averaged, rounded half to even) with the class size as neighbour count; classes
/// of at most <c>groupThreshold</c> hits are dropped, and so is a class lying inside another
/// (within <c>eps</c> of its size) that has more hits (more than max(3, its own), or it has fewer than 3).
/// Classes are numbered, and returned, in the order of their first hit.
/// </summary>
internal static class RectangleGrouping
{
    /// <summary>OpenCV's detectMultiScale groups with this eps.</summary>
    public const double DefaultEps = 0.2;

    public static List<HaarDetection> Group(IReadOnlyList<Rectangle> hits, int groupThreshold, double eps = DefaultEps)
    {
        var result = new List<HaarDetection>();
        if (groupThreshold <= 0 || hits.Count == 0)
        {
            foreach (var hit in hits)
                result.Add(new HaarDetection(hit, 1));
            return result;
        }

        int[] labels = Partition(hits, eps, out int classCount);
        var sums = new (long X, long Y, long W, long H)[classCount];
        var counts = new int[classCount];
        for (int i = 0; i < hits.Count; i++)
        {
            int c = labels[i];
            var r = hits[i];
            sums[c] = (sums[c].X + r.X, sums[c].Y + r.Y, sums[c].W + r.Width, sums[c].H + r.Height);
            counts[c]++;
        }
        var means = new Rectangle[classCount];
        for (int c = 0; c < classCount; c++)
        {
            // Single precision, as OpenCV multiplies by a float reciprocal before rounding.
            float s = 1f / counts[c];
            means[c] = new Rectangle(Round(sums[c].X * s), Round(sums[c].Y * s), Round(sums[c].W * s), Round(sums[c].H * s));
        }

        for (int i = 0; i < classCount; i++)
        {
            var r1 = means[i];
            int n1 = counts[i];
            if (n1 <= groupThreshold)
                continue;
            bool nested = false;
            for (int j = 0; j < classCount && !nested; j++)
            {
                int n2 = counts[j];
                if (j == i || n2 <= groupThreshold)
                    continue;
                var r2 = means[j];
                int dx = (int)Math.Round(r2.Width * eps, MidpointRounding.ToEven);
                int dy = (int)Math.Round(r2.Height * eps, MidpointRounding.ToEven);
                nested = r1.X >= r2.X - dx && r1.Y >= r2.Y - dy
                    && r1.X + r1.Width <= r2.X + r2.Width + dx && r1.Y + r1.Height <= r2.Y + r2.Height + dy
                    && (n2 > Math.Max(3, n1) || n1 < 3);
            }
            if (!nested)
                result.Add(new HaarDetection(r1, n1));
        }
        return result;
    }

    /// <summary>Whether two hits belong together (OpenCV's <c>SimilarRects</c> predicate).</summary>
    public static bool Similar(Rectangle a, Rectangle b, double eps)
    {
        double delta = eps * (Math.Min(a.Width, b.Width) + Math.Min(a.Height, b.Height)) * 0.5;
        return Math.Abs(a.X - b.X) <= delta && Math.Abs(a.Y - b.Y) <= delta
            && Math.Abs(a.Right - b.Right) <= delta && Math.Abs(a.Bottom - b.Bottom) <= delta;
    }

    // Connected components of the similarity graph (union-find), labelled in order of first member.
    private static int[] Partition(IReadOnlyList<Rectangle> hits, double eps, out int classCount)
    {
        int n = hits.Count;
        var parent = new int[n];
        for (int i = 0; i < n; i++)
            parent[i] = i;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (!Similar(hits[i], hits[j], eps))
                    continue;
                int a = Find(parent, i), b = Find(parent, j);
                if (a != b)
                    parent[Math.Max(a, b)] = Math.Min(a, b);
            }
        }
        var labels = new int[n];
        var labelOfRoot = new int[n];
        Array.Fill(labelOfRoot, -1);
        classCount = 0;
        for (int i = 0; i < n; i++)
        {
            int root = Find(parent, i);
            if (labelOfRoot[root] < 0)
                labelOfRoot[root] = classCount++;
            labels[i] = labelOfRoot[root];
        }
        return labels;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    // cvRound / saturate_cast<int>(float): nearest, ties to even.
    private static int Round(float value) => (int)MathF.Round(value, MidpointRounding.ToEven);
}
