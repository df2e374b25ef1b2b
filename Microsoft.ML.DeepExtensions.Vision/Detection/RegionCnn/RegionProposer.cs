using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's first stage: class-independent region proposals of an image from <see cref="SelectiveSearch"/> (the paper's
/// "fast" mode by default), as xyxy boxes, too-small ones dropped, the first <c>MaxProposals</c> of selective search's
/// ranking kept. Images are processed in parallel, one thread each.
/// </summary>
internal sealed class RegionProposer
{
    private readonly SelectiveSearch _search;
    private readonly int _maxProposals;
    private readonly int _minSize;

    /// <param name="mode">Selective search's strategies.</param>
    /// <param name="maxProposals">Proposals kept per image.</param>
    /// <param name="minSize">Smallest width and height kept, in pixels.</param>
    public RegionProposer(SelectiveSearchMode mode, int maxProposals, int minSize)
    {
        // All of selective search's regions, then the size filter, then the cap: the cap counts usable boxes.
        _search = new SelectiveSearch(new SelectiveSearchOptions { Mode = mode, MaxProposals = 0, MaxDegreeOfParallelism = 1 });
        _maxProposals = maxProposals;
        _minSize = minSize;
    }

    /// <summary>Proposals of a planar RGB image (<c>3 · width · height</c> bytes, all R, then G, then B).</summary>
    /// <returns>xyxy boxes, 4 values per proposal, best ranked first.</returns>
    public float[] Propose(ReadOnlySpan<byte> planarRgb, int width, int height)
    {
        int plane = width * height;
        var bgr = new byte[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            bgr[3 * i] = planarRgb[2 * plane + i];
            bgr[3 * i + 1] = planarRgb[plane + i];
            bgr[3 * i + 2] = planarRgb[i];
        }
        var boxes = new List<float>(4 * _maxProposals);
        foreach (var box in _search.Propose(bgr, width, height))
        {
            if (box.Width < _minSize || box.Height < _minSize)
                continue;
            // OpenCV's Rect covers columns x .. x + width − 1: as a continuous box, x .. x + width.
            boxes.Add(box.X);
            boxes.Add(box.Y);
            boxes.Add(box.X + box.Width);
            boxes.Add(box.Y + box.Height);
            if (boxes.Count == 4 * _maxProposals)
                break;
        }
        return boxes.ToArray();
    }

    /// <summary>Proposals of several images of the same size, in parallel.</summary>
    /// <param name="images">Planar RGB images.</param>
    /// <param name="side">Their width and height.</param>
    /// <param name="cancellation">Checked between images.</param>
    /// <param name="done">Called after each image with the number finished so far (from any thread).</param>
    public float[][] Propose(IReadOnlyList<byte[]> images, int side, CancellationToken cancellation, Action<int>? done = null)
    {
        var result = new float[images.Count][];
        int finished = 0;
        Parallel.For(0, images.Count, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            result[i] = Propose(images[i], side, side);
            done?.Invoke(Interlocked.Increment(ref finished));
        });
        return result;
    }
}
