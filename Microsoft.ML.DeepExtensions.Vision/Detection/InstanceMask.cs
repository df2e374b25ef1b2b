namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// A binary mask of one detected object, covering a rectangle of the original image (usually the
/// object's box, rounded out to whole pixels): <c>Pixels[y * Width + x]</c> is nonzero where the pixel
/// (<c>Left + x</c>, <c>Top + y</c>) belongs to the object. Pixels outside the rectangle do not.
/// </summary>
public sealed class InstanceMask
{
    private readonly byte[] _pixels;

    /// <param name="left">Column of the rectangle's first pixel in the original image (may be negative; drawing clips).</param>
    /// <param name="top">Row of the rectangle's first pixel in the original image.</param>
    /// <param name="width">Rectangle width in pixels, at least 0.</param>
    /// <param name="height">Rectangle height in pixels, at least 0.</param>
    /// <param name="pixels"><c>width * height</c> bytes, row-major; nonzero = object. Not copied.</param>
    public InstanceMask(int left, int top, int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width < 0 || height < 0)
            throw new ArgumentOutOfRangeException(width < 0 ? nameof(width) : nameof(height), $"Mask size must not be negative, got {width}x{height}.");
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"A {width}x{height} mask needs {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));
        Left = left;
        Top = top;
        Width = width;
        Height = height;
        _pixels = pixels;
    }

    public int Left { get; }

    public int Top { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary><c>Width * Height</c> bytes, row-major; nonzero = object.</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>Whether image pixel (<paramref name="x"/>, <paramref name="y"/>) belongs to the object.</summary>
    public bool Contains(int x, int y)
    {
        int mx = x - Left, my = y - Top;
        return (uint)mx < (uint)Width && (uint)my < (uint)Height && _pixels[my * Width + mx] != 0;
    }

    /// <summary>The number of object pixels.</summary>
    public int Area() => _pixels.Count(p => p != 0);
}
