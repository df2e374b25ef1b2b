using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Drawing;

/// <summary>How <see cref="DetectionDrawing.Draw"/> paints detections.</summary>
public sealed class DetectionDrawingOptions
{
    /// <summary>Box outline width in pixels. Defaults to 2.</summary>
    public float LineWidth { get; init; } = 2;

    /// <summary>Label text size in pixels. Defaults to 14.</summary>
    public float FontSize { get; init; } = 14;

    /// <summary>Whether to write the class name above each box. Defaults to true.</summary>
    public bool ShowLabels { get; init; } = true;

    /// <summary>Whether to append the score (two decimals) to the label. Defaults to true.</summary>
    public bool ShowScores { get; init; } = true;

    /// <summary>Opacity of mask overlays, 0 (invisible) to 1 (opaque). Defaults to 0.45.</summary>
    public float MaskOpacity { get; init; } = 0.45f;

    /// <summary>Detections scoring below this are not drawn. Defaults to 0 (all).</summary>
    public float MinimumScore { get; init; }

    /// <summary>
    /// A TrueType/OpenType font file for labels. Defaults to null: SkiaSharp's default typeface, or else the
    /// first of DejaVu Sans, Liberation Sans, Lato found under <c>/usr/share/fonts</c>.
    /// </summary>
    public string? FontFile { get; init; }

    /// <summary>Colors by class index (cycled). Defaults to null: one distinct hue per class (golden-angle steps).</summary>
    public IReadOnlyList<SKColor>? Palette { get; init; }

    internal void Validate()
    {
        if (!(LineWidth > 0) || float.IsInfinity(LineWidth))
            throw new ArgumentOutOfRangeException(nameof(LineWidth), $"LineWidth must be positive, got {LineWidth}.");
        if (!(FontSize > 0) || float.IsInfinity(FontSize))
            throw new ArgumentOutOfRangeException(nameof(FontSize), $"FontSize must be positive, got {FontSize}.");
        if (!(MaskOpacity >= 0 && MaskOpacity <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaskOpacity), $"MaskOpacity must be in [0, 1], got {MaskOpacity}.");
        if (float.IsNaN(MinimumScore))
            throw new ArgumentOutOfRangeException(nameof(MinimumScore), "MinimumScore must be a number, got NaN.");
        if (Palette is { Count: 0 })
            throw new ArgumentException("Palette must hold at least one color when given.", nameof(Palette));
        if (FontFile is not null && !File.Exists(FontFile))
            throw new FileNotFoundException($"FontFile '{FontFile}' does not exist.", FontFile);
    }
}
