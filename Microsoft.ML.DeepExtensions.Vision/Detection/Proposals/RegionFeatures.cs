using System.Runtime.CompilerServices;
using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// What selective search measures once per initial segmentation of one colour-space image, shared by every strategy
/// that groups it: region sizes and bounding boxes, the neighbour pairs, and (computed when first asked for) the
/// normalised colour and texture histograms. A strategy copies what it changes.
/// </summary>
internal sealed class RegionFeatures
{
    /// <summary>Bins per channel of the colour histogram (Uijlings et al. use 25).</summary>
    public const int ColorBins = 25;

    /// <summary>Bins per channel and gradient direction of the texture histogram (Uijlings et al. use 10).</summary>
    public const int TextureBins = 10;

    private readonly ByteImage _image;
    private readonly RegionLabels _regions;
    private readonly Lazy<byte[][][]> _gradients;
    private float[]? _colorHistograms;
    private float[]? _textureHistograms;

    /// <param name="image">The colour-space image.</param>
    /// <param name="regions">Its initial segmentation.</param>
    /// <param name="gradients">Per channel, the 8 <see cref="TextureGradients"/> of the image (shared by its segmentations).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    public RegionFeatures(ByteImage image, RegionLabels regions, Lazy<byte[][][]> gradients)
    {
        _image = image;
        _regions = regions;
        _gradients = gradients;
        int count = regions.RegionCount;
        Sizes = new int[count];
        var minX = new int[count];
        var minY = new int[count];
        var maxX = new int[count];
        var maxY = new int[count];
        Array.Fill(minX, int.MaxValue);
        Array.Fill(minY, int.MaxValue);
        Array.Fill(maxX, -1);
        Array.Fill(maxY, -1);
        var labels = regions.Labels;
        for (int y = 0, p = 0; y < regions.Height; y++)
        {
            for (int x = 0; x < regions.Width; x++, p++)
            {
                int r = labels[p];
                Sizes[r]++;
                minX[r] = Math.Min(minX[r], x);
                maxX[r] = Math.Max(maxX[r], x);
                minY[r] = Math.Min(minY[r], y);
                maxY[r] = Math.Max(maxY[r], y);
            }
        }
        BoundingBoxes = new Rectangle[count];
        for (int r = 0; r < count; r++)
            BoundingBoxes[r] = new Rectangle(minX[r], minY[r], maxX[r] - minX[r] + 1, maxY[r] - minY[r] + 1);
        NeighbourPairs = FindNeighbours(regions);
    }

    /// <summary>Pixels per region.</summary>
    public int[] Sizes { get; }

    /// <summary>The bounding box of each region (x, y, width, height in pixels).</summary>
    public Rectangle[] BoundingBoxes { get; }

    /// <summary>
    /// Pairs (a, b) of touching regions with a &lt; b, ordered by a then b. Touching is OpenCV's: a pixel and its
    /// left, upper and upper-left neighbours, for pixels not in the first row or column.
    /// </summary>
    public (int A, int B)[] NeighbourPairs { get; }

    /// <summary>Region count.</summary>
    public int Count => _regions.RegionCount;

    /// <summary>Channels of the image.</summary>
    public int Channels => _image.Channels;

    /// <summary>Pixels in the image.</summary>
    public int ImageSize => _image.Width * _image.Height;

    /// <summary>Per region, <see cref="ColorBins"/> bins per channel (channel-major), summing to 1: OpenCV's <c>calcHist</c> over [0, 256).</summary>
    public float[] ColorHistograms => _colorHistograms ??= Normalised(ColorCounts(), ColorBins * _image.Channels);

    /// <summary>Per region, <see cref="TextureBins"/> bins for each of 8 oriented gradients per channel, summing to 1.</summary>
    public float[] TextureHistograms => _textureHistograms ??= Normalised(TextureCounts(), TextureBins * 8 * _image.Channels);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private int[] ColorCounts()
    {
        int channels = _image.Channels, length = ColorBins * channels;
        var counts = new int[Count * length];
        var pixels = _image.Pixels;
        var labels = _regions.Labels;
        for (int p = 0; p < labels.Length; p++)
        {
            int row = labels[p] * length;
            for (int c = 0; c < channels; c++)
                counts[row + c * ColorBins + (pixels[p * channels + c] * ColorBins >> 8)]++;
        }
        return counts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private int[] TextureCounts()
    {
        int channels = _image.Channels, length = TextureBins * 8 * channels;
        var counts = new int[Count * length];
        var labels = _regions.Labels;
        // OpenCV's bin: (int)(value / (256f / 10)), the float division once per byte value.
        var bin = new int[256];
        for (int v = 0; v < 256; v++)
            bin[v] = (int)(v / (256f / TextureBins));
        for (int c = 0; c < channels; c++)
        {
            var gradients = _gradients.Value[c];
            for (int g = 0; g < 8; g++)
            {
                var values = gradients[g];
                int offset = (c * 8 + g) * TextureBins;
                for (int p = 0; p < labels.Length; p++)
                    counts[labels[p] * length + offset + bin[values[p]]]++;
            }
        }
        return counts;
    }

    /// <summary>Counts divided by their float sum per region, summed bin by bin as OpenCV sums them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private float[] Normalised(int[] counts, int length)
    {
        var histograms = new float[counts.Length];
        for (int r = 0; r < Count; r++)
        {
            int row = r * length;
            float total = 0;
            for (int i = 0; i < length; i++)
                total += counts[row + i];
            for (int i = 0; i < length; i++)
                histograms[row + i] = counts[row + i] / total;
        }
        return histograms;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static (int, int)[] FindNeighbours(RegionLabels regions)
    {
        var labels = regions.Labels;
        int width = regions.Width;
        var pairs = new List<long>();
        for (int y = 1; y < regions.Height; y++)
        {
            for (int x = 1; x < width; x++)
            {
                int p = y * width + x;
                int r = labels[p];
                Add(pairs, r, labels[p - 1]);
                Add(pairs, r, labels[p - width]);
                Add(pairs, r, labels[p - width - 1]);
            }
        }
        var sorted = pairs.ToArray();
        Array.Sort(sorted);
        var result = new List<(int, int)>();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i == 0 || sorted[i] != sorted[i - 1])
                result.Add(((int)(sorted[i] >> 32), (int)sorted[i]));
        }
        return result.ToArray();
    }

    private static void Add(List<long> pairs, int a, int b)
    {
        if (a != b)
            pairs.Add(a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a);
    }
}
