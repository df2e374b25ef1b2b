namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>What one round of negative mining found.</summary>
/// <param name="Found">Windows added to the negatives.</param>
/// <param name="Tried">Windows evaluated.</param>
internal readonly record struct MiningResult(int Found, long Tried)
{
    /// <summary>Fraction of the windows tried that the cascade so far accepts: its false-alarm rate on the negative images.</summary>
    public double AcceptanceRatio => Tried == 0 ? 0 : (double)Found / Tried;
}

/// <summary>
/// Hard-negative mining between stages, in the manner of <c>opencv_traincascade</c>'s negative
/// extraction: windows of the cascade's size are taken at random scales and positions from the
/// negative (object-free) images, and only those that the cascade trained so far accepts become the
/// next stage's negatives, so each stage learns to reject what the previous ones let through.
/// Each visit shrinks an image by a random scale with the detector's own resampling, builds the
/// detector's integral images and evaluates windows with the detector's cascade evaluation (which also
/// rejects windows too flat to evaluate), so a mined window is exactly what the detector would accept.
/// </summary>
internal sealed unsafe class NegativeWindowMiner
{
    // Random windows evaluated per visit of an image (one random scale per visit): enough to make the
    // resampling and integral images of the visit cheap next to the window evaluations.
    private const int WindowsPerVisit = 2048;

    private readonly IReadOnlyList<GrayImage> _images;
    private readonly int _windowWidth, _windowHeight;
    private readonly IntegralImages _integrals;
    private readonly byte[] _level;
    private readonly byte[] _window;
    private readonly Random _random;
    private int[] _visitOrder = [];
    private int _nextVisit;

    /// <param name="images">Negative images, each at least the window's size.</param>
    /// <param name="windowWidth">Window width.</param>
    /// <param name="windowHeight">Window height.</param>
    /// <param name="tilted">Whether the cascade may have tilted features.</param>
    /// <param name="random">Source of the scales, positions and image order.</param>
    public NegativeWindowMiner(IReadOnlyList<GrayImage> images, int windowWidth, int windowHeight, bool tilted, Random random)
    {
        _images = images;
        _windowWidth = windowWidth;
        _windowHeight = windowHeight;
        _random = random;
        int maxWidth = images.Max(i => i.Width), maxHeight = images.Max(i => i.Height);
        _integrals = new IntegralImages(maxWidth, maxHeight, tilted);
        _level = GC.AllocateUninitializedArray<byte>(maxWidth * maxHeight, pinned: true);
        _window = new byte[windowWidth * windowHeight];
    }

    /// <summary>
    /// Adds to <paramref name="destination"/> up to <paramref name="count"/> windows that
    /// <paramref name="cascade"/> accepts, trying at most <paramref name="maxTries"/> windows.
    /// </summary>
    public MiningResult Mine(HaarCascade cascade, int count, long maxTries, TrainingWindows destination, CancellationToken cancellation)
    {
        var compiled = new CompiledCascade(cascade, _integrals.Stride, _integrals.TiltedOffset);
        int found = 0;
        long tried = 0;
        while (found < count && tried < maxTries)
        {
            cancellation.ThrowIfCancellationRequested();
            var image = NextImage();
            double maxScale = Math.Min((double)image.Width / _windowWidth, (double)image.Height / _windowHeight);
            double scale = Math.Exp(_random.NextDouble() * Math.Log(maxScale));
            int width = Math.Clamp((int)Math.Round(image.Width / scale), _windowWidth, image.Width);
            int height = Math.Clamp((int)Math.Round(image.Height / scale), _windowHeight, image.Height);
            fixed (byte* source = image.Pixels)
            fixed (byte* level = _level)
            {
                ExactBilinearResize.Resize(source, image.Width, image.Height, image.Width, level, width, height, width);
                _integrals.Compute(level, width, height, width);
                int columns = width - _windowWidth + 1, rows = height - _windowHeight + 1;
                int windows = (int)Math.Min(WindowsPerVisit, Math.Min(maxTries - tried, (long)columns * rows));
                for (int k = 0; k < windows && found < count; k++)
                {
                    int x = _random.Next(columns), y = _random.Next(rows);
                    tried++;
                    if (compiled.Evaluate(_integrals.Sums, _integrals.Squares, y * _integrals.Stride + x) <= 0)
                        continue;
                    for (int r = 0; r < _windowHeight; r++)
                        new ReadOnlySpan<byte>(level + (y + r) * width + x, _windowWidth).CopyTo(_window.AsSpan(r * _windowWidth));
                    if (destination.TryAdd(_window, _windowWidth))
                        found++;
                }
            }
        }
        return new MiningResult(found, tried);
    }

    private GrayImage NextImage()
    {
        if (_nextVisit == _visitOrder.Length)
        {
            _visitOrder = Enumerable.Range(0, _images.Count).ToArray();
            _random.Shuffle(_visitOrder);
            _nextVisit = 0;
        }
        return _images[_visitOrder[_nextVisit++]];
    }
}
