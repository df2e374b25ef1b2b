namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// The training samples of one stage: gray windows of the cascade's size, each kept as the integral
/// images the detector would build for it and the detector's variance normalisation factor, so that
/// a feature's value here is bit for bit the value <see cref="CompiledCascade"/> computes for the same
/// window at detection time, and the trained thresholds mean the same thing there.
/// </summary>
internal sealed unsafe class TrainingWindows
{
    private readonly int _block;
    private readonly IntegralImages _scratch;
    private readonly CompiledCascade _normaliser;
    private int[] _integrals;
    private float[] _norms;

    /// <param name="windowWidth">Window width in pixels.</param>
    /// <param name="windowHeight">Window height in pixels.</param>
    /// <param name="tilted">Whether tilted integral images are kept (the pool has tilted features).</param>
    /// <param name="capacity">Initial number of samples to allocate for.</param>
    public TrainingWindows(int windowWidth, int windowHeight, bool tilted, int capacity)
    {
        WindowWidth = windowWidth;
        WindowHeight = windowHeight;
        _scratch = new IntegralImages(windowWidth, windowHeight, tilted);
        Stride = _scratch.Stride;
        TiltedOffset = _scratch.TiltedOffset;
        _block = Stride * _scratch.Rows * (tilted ? 2 : 1);
        _normaliser = new CompiledCascade(EmptyCascade.Create(windowWidth, windowHeight), Stride, TiltedOffset);
        _integrals = new int[Math.Max(1, capacity) * _block];
        _norms = new float[Math.Max(1, capacity)];
    }

    public int WindowWidth { get; }

    public int WindowHeight { get; }

    /// <summary>Elements from one integral row to the next (window width + 1).</summary>
    public int Stride { get; }

    /// <summary>Where the tilted sums start in a sample's integral block, or 0 when none are kept.</summary>
    public int TiltedOffset { get; }

    /// <summary>Samples held.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Adds a window (row-major gray pixels, <c>stride</c> bytes per row). Returns false, adding nothing,
    /// when its contrast is too low for the detector ever to evaluate it (standard deviation of at most
    /// 10 grey levels over the window less its border), as such a window can be neither found nor rejected by training.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> pixels, int stride)
    {
        fixed (byte* p = pixels)
            _scratch.Compute(p, WindowWidth, WindowHeight, stride);
        if (!_normaliser.TryNormalisation(_scratch.Sums, _scratch.Squares, 0, out float norm))
            return false;
        if (Count == _norms.Length)
        {
            Array.Resize(ref _norms, Count * 2);
            Array.Resize(ref _integrals, Count * 2 * _block);
        }
        int rows = _scratch.Rows;
        new ReadOnlySpan<int>(_scratch.Sums, Stride * rows).CopyTo(_integrals.AsSpan(Count * _block));
        if (TiltedOffset != 0)
            new ReadOnlySpan<int>(_scratch.Sums + TiltedOffset, Stride * rows).CopyTo(_integrals.AsSpan(Count * _block + TiltedOffset));
        _norms[Count] = norm;
        Count++;
        return true;
    }

    /// <summary>Keeps only the samples whose <paramref name="keep"/> flag is set, in order.</summary>
    public void Retain(ReadOnlySpan<bool> keep)
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!keep[i])
                continue;
            if (kept != i)
            {
                Array.Copy(_integrals, i * _block, _integrals, kept * _block, _block);
                _norms[kept] = _norms[i];
            }
            kept++;
        }
        Count = kept;
    }

    /// <summary>Appends every sample of <paramref name="other"/> (same window and layout).</summary>
    public void AddRange(TrainingWindows other)
    {
        if (other._block != _block)
            throw new ArgumentException("Training windows of different layouts cannot be combined.", nameof(other));
        int total = Count + other.Count;
        if (total > _norms.Length)
        {
            Array.Resize(ref _norms, total);
            Array.Resize(ref _integrals, total * _block);
        }
        Array.Copy(other._integrals, 0, _integrals, Count * _block, other.Count * _block);
        Array.Copy(other._norms, 0, _norms, Count, other.Count);
        Count = total;
    }

    /// <summary>The normalised value of a compiled feature on every sample from <paramref name="first"/> on (at the same index of <paramref name="values"/>).</summary>
    public void FeatureColumn(in CompiledCascade.Node feature, Span<float> values, int first = 0)
    {
        fixed (CompiledCascade.Node* node = &feature)
        fixed (int* integrals = _integrals)
        fixed (float* norms = _norms)
        {
            int* sample = integrals + (long)first * _block;
            for (int i = first; i < Count; i++, sample += _block)
                values[i] = CompiledCascade.FeatureValue(node, sample) * norms[i];
        }
    }

}
