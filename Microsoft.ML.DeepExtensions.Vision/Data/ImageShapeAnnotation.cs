using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// The contract by which an image column says how its flat pixel vector is laid out: an annotation
/// named <see cref="Name"/> on a float vector column, a known-size vector of three
/// <see cref="int"/> values <c>[channels, height, width]</c>. The vector holds the pixels in
/// channel-major order (all of channel 0 row by row, then channel 1, ...), as ML.NET's
/// <c>ExtractPixels</c> writes them with its default <c>interleavePixelColors: false</c>,
/// so trainers can reshape one row into a <c>C×H×W</c> tensor.
/// </summary>
/// <remarks>
/// Data loaders write it (<see cref="ImageDataCatalog.LoadIdx"/> annotates its <c>Features</c>
/// column with <c>[1, rows, cols]</c>); CNN trainers read it with
/// <see cref="TryRead"/> instead of asking the user for the image size again.
/// </remarks>
public static class ImageShapeAnnotation
{
    /// <summary>The annotation's name: <c>DeepExtensions.ImageShape</c>.</summary>
    public const string Name = "DeepExtensions.ImageShape";

    /// <summary>The annotation's type: a known-size vector of three <see cref="int"/> values.</summary>
    public static VectorDataViewType Type { get; } = new(NumberDataViewType.Int32, 3);

    /// <summary>Adds the image-shape annotation <c>[channels, height, width]</c> to an annotations builder.</summary>
    /// <param name="builder">The builder of the image column's annotations.</param>
    /// <param name="channels">Colour channels per pixel (1 for grey, 3 for RGB); must be positive.</param>
    /// <param name="height">Image height in pixels; must be positive.</param>
    /// <param name="width">Image width in pixels; must be positive.</param>
    public static void Add(DataViewSchema.Annotations.Builder builder, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(builder);
        CheckDimension(nameof(channels), channels);
        CheckDimension(nameof(height), height);
        CheckDimension(nameof(width), width);
        var values = new[] { channels, height, width };
        builder.Add<VBuffer<int>>(Name, Type, (ref VBuffer<int> value) => new VBuffer<int>(3, values).CopyTo(ref value));
    }

    /// <summary>
    /// Reads the image-shape annotation of <paramref name="column"/>.
    /// </summary>
    /// <param name="column">The image column (usually a known-size float vector).</param>
    /// <param name="channels">Colour channels per pixel, or 0 when the column has no annotation.</param>
    /// <param name="height">Image height in pixels, or 0 when the column has no annotation.</param>
    /// <param name="width">Image width in pixels, or 0 when the column has no annotation.</param>
    /// <returns><see langword="true"/> when the column carries the annotation; <see langword="false"/> when it has none.</returns>
    /// <exception cref="InvalidOperationException">
    /// The annotation exists but is malformed (not a vector of three Int32, a dimension that is not
    /// positive), or its product differs from the column's known vector size: a wrong shape is never
    /// passed on silently.
    /// </exception>
    public static bool TryRead(DataViewSchema.Column column, out int channels, out int height, out int width)
    {
        channels = height = width = 0;
        var annotation = column.Annotations.Schema.GetColumnOrNull(Name);
        if (annotation is null)
            return false;
        if (!annotation.Value.Type.Equals(Type))
            throw new InvalidOperationException(
                $"Annotation '{Name}' of column '{column.Name}' must be a known-size vector of 3 Int32 values [channels, height, width], got {annotation.Value.Type}.");

        VBuffer<int> buffer = default;
        column.Annotations.GetValue(Name, ref buffer);
        var values = buffer.DenseValues().ToArray();
        if (values.Any(v => v <= 0))
            throw new InvalidOperationException(
                $"Annotation '{Name}' of column '{column.Name}' must hold positive [channels, height, width], got [{string.Join(", ", values)}].");

        long product = (long)values[0] * values[1] * values[2];
        if (column.Type is VectorDataViewType { IsKnownSize: true } vector && vector.Size != product)
            throw new InvalidOperationException(
                $"Annotation '{Name}' of column '{column.Name}' says [{string.Join(", ", values)}] ({product} values per row), but the column is a vector of {vector.Size} values.");

        (channels, height, width) = (values[0], values[1], values[2]);
        return true;
    }

    private static void CheckDimension(string name, int value)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"The image {name} must be positive, got {value}.");
    }
}
