namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>
/// The <see cref="BilinearSampling.Torch"/> samples of a whole resize along one axis, kept for the next call of the same
/// sizes: a scoring loop over photos of a few sizes then computes them once per size change instead of once per image.
/// Not thread-safe (one per scoring context).
/// </summary>
internal sealed class BilinearSampleCache
{
    private BilinearSample[] _samples = Array.Empty<BilinearSample>();
    private (int Source, int Output) _size;

    /// <summary>The samples of outputs <c>0 .. output - 1</c> of a <paramref name="source"/> → <paramref name="output"/> resize.</summary>
    public BilinearSample[] For(int source, int output)
    {
        if (_size != (source, output))
        {
            _samples = BilinearSampling.Torch(0, output - 1, source, output);
            _size = (source, output);
        }
        return _samples;
    }
}
