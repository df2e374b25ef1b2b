using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>The shape of one image as a network sees it: channels × height × width (CHW, planar).</summary>
/// <param name="Channels">1 for grayscale, 3 for RGB.</param>
/// <param name="Height">Rows of pixels.</param>
/// <param name="Width">Columns of pixels.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values per image: channels · height · width.</summary>
    public long Size => (long)Channels * Height * Width;

    /// <summary>The shape as a tensor shape <c>[C, H, W]</c>.</summary>
    public long[] ToTensorShape() => new long[] { Channels, Height, Width };

    /// <summary>Parses <c>CxHxW</c>, e.g. <c>1x28x28</c> or <c>3×224×224</c>.</summary>
    /// <exception cref="FormatException">The text is not three positive integers separated by x.</exception>
    public static ImageShape Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('x', 'X', '×');
        if (parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && c > 0 && h > 0 && w > 0)
            return new ImageShape(c, h, w);
        throw new FormatException($"'{text}' is not an image shape: expected CxHxW with three positive integers, e.g. 1x28x28 or 3x224x224.");
    }

    public override string ToString() => FormattableString.Invariant($"{Channels}x{Height}x{Width}");
}
