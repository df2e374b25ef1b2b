namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>Where one output pixel of a bilinear resize reads along one axis: two source indices and the weight of the second.</summary>
internal readonly record struct BilinearSample(int First, int Second, float Weight);

/// <summary>
/// The source positions of PyTorch's bilinear resize (<c>F.interpolate(mode="bilinear", align_corners=False)</c>, i.e.
/// upsample_bilinear2d given an output size): <c>s = max(0, (d + 0.5) · in/out - 0.5)</c> in float, the pixels
/// <c>floor(s)</c> and the next (clamped to the last), weight <c>s - floor(s)</c>.
/// </summary>
internal static class BilinearSampling
{
    /// <summary>Samples for outputs <paramref name="first"/> .. <paramref name="last"/> of a <paramref name="source"/> → <paramref name="output"/> resize.</summary>
    public static BilinearSample[] Torch(int first, int last, int source, int output)
    {
        var samples = new BilinearSample[last - first + 1];
        float scale = (float)source / output;
        for (int d = first; d <= last; d++)
        {
            float s = Math.Max(scale * (d + 0.5f) - 0.5f, 0);
            int i0 = Math.Min((int)s, source - 1);
            int i1 = i0 + (i0 < source - 1 ? 1 : 0);
            samples[d - first] = new BilinearSample(i0, i1, s - i0);
        }
        return samples;
    }
}
