namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// The class of every pixel of one image, at the image's own size: <c>Classes[y * Width + x]</c> is a 0-based class
/// index; optionally each class's probability per pixel (<c>Probabilities[(c * Height + y) * Width + x]</c>, softmax over
/// the classes).
/// </summary>
public sealed class ClassMap
{
    private readonly ReadOnlyMemory<int> _classes;
    private readonly float[]? _probabilities;

    /// <param name="width">Image width, at least 1.</param>
    /// <param name="height">Image height, at least 1.</param>
    /// <param name="classCount">The number of classes, at least 1.</param>
    /// <param name="classes"><c>width * height</c> class indices in <c>[0, classCount)</c>, row-major. Not copied.</param>
    /// <param name="probabilities">Null, or <c>classCount * width * height</c> probabilities, one plane per class. Not copied.</param>
    public ClassMap(int width, int height, int classCount, int[] classes, float[]? probabilities = null)
        : this(width, height, classCount, (ReadOnlyMemory<int>)(classes ?? throw new ArgumentNullException(nameof(classes))), probabilities)
    {
    }

    /// <summary>A class map over part of a larger array (a scorer's reused buffer).</summary>
    internal ClassMap(int width, int height, int classCount, ReadOnlyMemory<int> classes, float[]? probabilities)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"A class map must be at least 1x1, got {width}x{height}.");
        if (classCount <= 0)
            throw new ArgumentOutOfRangeException(nameof(classCount), $"ClassCount must be at least 1, got {classCount}.");
        if (classes.Length != (long)width * height)
            throw new ArgumentException($"A {width}x{height} class map needs {(long)width * height} classes, got {classes.Length}.", nameof(classes));
        if (probabilities is not null && probabilities.Length != (long)classCount * width * height)
            throw new ArgumentException($"{classCount} probability planes of {width}x{height} need {(long)classCount * width * height} values, got {probabilities.Length}.", nameof(probabilities));
        Width = width;
        Height = height;
        ClassCount = classCount;
        _classes = classes;
        _probabilities = probabilities;
    }

    public int Width { get; }

    public int Height { get; }

    public int ClassCount { get; }

    /// <summary>Row-major class indices.</summary>
    public ReadOnlyMemory<int> Classes => _classes;

    /// <summary>One plane per class of per-pixel probabilities, or null when not asked for.</summary>
    public ReadOnlyMemory<float>? Probabilities => _probabilities is null ? (ReadOnlyMemory<float>?)null : _probabilities;

    /// <summary>The class of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public int this[int x, int y]
    {
        get
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
                throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}x{Height} map.");
            return _classes.Span[y * Width + x];
        }
    }
}
