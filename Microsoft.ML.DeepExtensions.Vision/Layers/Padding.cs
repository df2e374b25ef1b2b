namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>How a <see cref="Convolution"/> pads its input with zeros before sliding its filters.</summary>
/// <remarks>
/// From the cheat sheet: valid padding adds nothing, so the output shrinks to <c>(n - f) / s + 1</c>;
/// same padding adds <c>p</c> layers of zeros so that the output keeps the input's size (<c>ceil(n / s)</c>
/// with a stride); explicit padding adds a given number of zero rows and columns on every side.
/// </remarks>
public sealed class Padding : IEquatable<Padding>
{
    private Padding(string mode, int pixels)
    {
        Mode = mode;
        Pixels = pixels;
    }

    /// <summary>No padding: <c>out = (n - f_eff) / s + 1</c>.</summary>
    public static Padding Valid { get; } = new("valid", 0);

    /// <summary>
    /// Zeros so that <c>out = ceil(n / s)</c>: <c>(out - 1)·s + f_eff - n</c> pixels per axis, split
    /// evenly with the odd one after (bottom, right), as TensorFlow does. PyTorch's own <c>'same'</c>
    /// allows only stride 1; this one allows any stride and dilation.
    /// </summary>
    public static Padding Same { get; } = new("same", 0);

    /// <summary><paramref name="pixels"/> zero rows and columns on every side.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pixels"/> is negative.</exception>
    public static Padding Explicit(int pixels) => pixels >= 0
        ? new Padding("explicit", pixels)
        : throw new ArgumentOutOfRangeException(nameof(pixels), $"Padding must be zero or positive, got {pixels}.");

    /// <summary><c>valid</c>, <c>same</c> or <c>explicit</c>.</summary>
    public string Mode { get; }

    /// <summary>Pixels on each side for explicit padding; 0 otherwise.</summary>
    public int Pixels { get; }

    /// <summary>Padding (before, after) along one axis of size <paramref name="input"/>.</summary>
    internal (long Before, long After) Amount(long input, long filter, long stride, long dilation) => Mode switch
    {
        "same" => ConvolutionArithmetic.SamePadding(input, filter, stride, dilation),
        _ => (Pixels, Pixels),
    };

    public bool Equals(Padding? other) => other is not null && Mode == other.Mode && Pixels == other.Pixels;

    public override bool Equals(object? obj) => Equals(obj as Padding);

    public override int GetHashCode() => HashCode.Combine(Mode, Pixels);

    /// <summary><c>valid</c>, <c>same</c> or <c>padding 2</c>.</summary>
    public override string ToString() => Mode == "explicit" ? $"padding {Pixels}" : $"{Mode} padding";
}
