using Microsoft.ML.DeepExtensions.Vision.Haar;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>What a <see cref="SelectiveSearchMode"/> runs: colour-space images × graph segmentations × similarity combinations, in OpenCV's order.</summary>
internal sealed class SelectiveSearchPlan
{
    private SelectiveSearchPlan(SelectiveSearchMode mode, int[] ks) => (Mode, Ks) = (mode, ks);

    public SelectiveSearchMode Mode { get; }

    /// <summary>The graph segmentation thresholds k, smallest first.</summary>
    public int[] Ks { get; }

    public static SelectiveSearchPlan For(SelectiveSearchMode mode, int baseK, int incrementK)
    {
        int segmentations = mode switch
        {
            SelectiveSearchMode.Single => 1,
            SelectiveSearchMode.Fast => 3,
            SelectiveSearchMode.Quality => 5,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), $"Unknown selective search mode {mode}."),
        };
        var ks = new int[segmentations];
        for (int i = 0; i < ks.Length; i++)
            ks[i] = baseK + i * incrementK;
        return new SelectiveSearchPlan(mode, ks);
    }

    /// <summary>The colour-space images of an 8-bit BGR image, in OpenCV's order.</summary>
    public List<ByteImage> Images(byte[] bgr, int width, int height)
    {
        var hsv = new ByteImage(HsvConversion.FromBgr(bgr), width, height, 3);
        var images = new List<ByteImage> { hsv };
        if (Mode == SelectiveSearchMode.Single)
            return images;
        images.Add(new ByteImage(LabConversion.FromBgr(bgr), width, height, 3));
        if (Mode == SelectiveSearchMode.Fast)
            return images;
        var gray = new byte[width * height];
        var rgi = new byte[3 * width * height];
        for (int i = 0; i < gray.Length; i++)
        {
            byte b = bgr[3 * i], g = bgr[3 * i + 1], r = bgr[3 * i + 2];
            gray[i] = GrayConversion.Gray(b, g, r);
            rgi[3 * i] = r;
            rgi[3 * i + 1] = g;
            rgi[3 * i + 2] = gray[i];
        }
        images.Add(new ByteImage(gray, width, height, 1));
        // The paper's hue channel, as OpenCV actually runs it: its quality mode splits the HSV image into Mats that it
        // then reuses to split the BGR image, which overwrites the stored hue plane with the blue one. We follow
        // OpenCV so that proposals agree.
        images.Add(new ByteImage(new ByteImage(bgr, width, height, 3).Plane(0), width, height, 1));
        images.Add(new ByteImage(rgi, width, height, 3));
        return images;
    }

    /// <summary>Fresh similarity combinations for one segmentation, in OpenCV's order.</summary>
    public RegionSimilarity[] Strategies()
    {
        var all = new CombinedSimilarity(HistogramSimilarity.Color(), new FillSimilarity(), HistogramSimilarity.Texture(), new SizeSimilarity());
        if (Mode == SelectiveSearchMode.Single)
            return new RegionSimilarity[] { all };
        var shapeAndTexture = new CombinedSimilarity(new FillSimilarity(), HistogramSimilarity.Texture(), new SizeSimilarity());
        if (Mode == SelectiveSearchMode.Fast)
            return new RegionSimilarity[] { all, shapeAndTexture };
        return new RegionSimilarity[] { all, shapeAndTexture, new FillSimilarity(), new SizeSimilarity() };
    }
}
