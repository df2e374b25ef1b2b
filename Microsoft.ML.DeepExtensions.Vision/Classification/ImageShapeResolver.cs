using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// Finds the <c>[C, H, W]</c> shape of the images in a feature column: from the trainer's
/// <c>ImageShape</c> option, from an image column's own size, from the
/// <see cref="ImageShapeAnnotation"/> that DeepExtensions' loaders put on pixel vectors, or from
/// the one image column of the pipeline whose size fits the vector (what <c>ExtractPixels</c> read).
/// </summary>
internal static class ImageShapeResolver
{
    /// <summary>The shape, or an exception that says how to state it.</summary>
    public static ImageShape Resolve(DataViewSchema schema, string featureColumn, ImageShape? stated, string role = "Feature")
    {
        var column = schema.GetColumnOrNull(featureColumn)
            ?? throw new ArgumentOutOfRangeException(featureColumn, $"{role} column '{featureColumn}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");

        if (column.Type is ImageDataViewType image)
        {
            if (stated is { } s)
            {
                if (image.Height > 0 && (s.Height != image.Height || s.Width != image.Width))
                    throw new ArgumentOutOfRangeException(nameof(CnnTrainer.Options.ImageShape), $"ImageShape {s} does not match column '{featureColumn}', whose images are {image.Height}x{image.Width} pixels (height x width).");
                return s;
            }
            if (image.Height <= 0 || image.Width <= 0)
                throw new ArgumentOutOfRangeException(featureColumn, $"Schema mismatch for {role.ToLowerInvariant()} column '{featureColumn}': expected an image of known size (append ResizeImages after LoadImages), got {image}.");
            return new ImageShape(3, image.Height, image.Width);
        }

        if (column.Type is not VectorDataViewType { IsKnownSize: true } vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw new ArgumentOutOfRangeException(featureColumn, $"Schema mismatch for {role.ToLowerInvariant()} column '{featureColumn}': expected an Image or a known-size vector of Single (ExtractPixels output), got {column.Type}.");
        int size = vector.Size;

        if (stated is { } given)
        {
            if (given.Size != size)
                throw new ArgumentOutOfRangeException(nameof(CnnTrainer.Options.ImageShape), $"{role} column '{featureColumn}' has {size:N0} values per row, which does not fit ImageShape {given} ({given.Size:N0} values).");
            return given;
        }

        if (ImageShapeAnnotation.TryRead(column, out int c, out int h, out int w))
        {
            if ((long)c * h * w != size)
                throw new InvalidOperationException($"Column '{featureColumn}' is annotated as {c}x{h}x{w} images but has {size:N0} values per row.");
            return new ImageShape(c, h, w);
        }

        // ExtractPixels keeps its source image column; the one of a fitting size is the source.
        var candidates = schema.Where(col => !col.IsHidden && col.Type is ImageDataViewType { Height: > 0, Width: > 0 })
            .Select(col => (ImageDataViewType)col.Type)
            .SelectMany(t => new[] { 3, 1, 4 }.Select(channels => new ImageShape(channels, t.Height, t.Width)))
            .Where(shape => shape.Size == size)
            .Distinct()
            .ToArray();
        if (candidates.Length == 1)
            return candidates[0];

        throw new ArgumentOutOfRangeException(nameof(CnnTrainer.Options.ImageShape),
            $"Cannot tell the image shape of column '{featureColumn}' ({size:N0} values per row): set ImageShape (channels, height, width), " +
            "keep the resized image column in the pipeline, or pass the image column itself as the feature column.");
    }
}
