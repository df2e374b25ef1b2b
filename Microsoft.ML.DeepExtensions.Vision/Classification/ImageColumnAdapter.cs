using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// Reads an <see cref="MLImage"/> column (from <c>LoadImages</c> / <c>ResizeImages</c>) as
/// <c>[C, H, W]</c> float tensors in [0, 1], planar, RGB order for 3 channels and luma
/// (0.299 R + 0.587 G + 0.114 B, as ITU-R BT.601 and OpenCV) for 1 channel, so trainers and
/// scorers read images through the same data path as numeric vectors.
/// </summary>
internal sealed class ImageColumnAdapter : TensorColumnAdapter
{
    public static ImageColumnAdapter Instance { get; } = new();

    public override bool Handles(DataViewType type) => type is ImageDataViewType;

    public override TensorColumn Bind(DataViewSchema.Column column, string role, long[]? shape)
    {
        var type = (ImageDataViewType)column.Type;
        int channels = shape is { Length: 3 } ? (int)shape[0] : 3;
        int height = shape is { Length: 3 } ? (int)shape[1] : type.Height;
        int width = shape is { Length: 3 } ? (int)shape[2] : type.Width;
        if (shape is not null && shape.Length != 3)
            throw new ArgumentException($"{role} column '{column.Name}' holds images, which need a [channels, height, width] shape, got [{string.Join("x", shape)}].");
        if (height <= 0 || width <= 0)
            throw TensorColumn.SchemaMismatch(column.Name, role, "an image of known size (append ResizeImages after LoadImages)", type);
        if (type.Height > 0 && type.Width > 0 && (type.Height != height || type.Width != width))
            throw TensorColumn.SchemaMismatch(column.Name, role, $"an image of {height}x{width} pixels (height x width)", type);
        if (channels is not (1 or 3 or 4))
            throw new ArgumentException($"{role} column '{column.Name}' holds images, which can be read with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels, not {channels}.");

        string name = column.Name;
        return TensorColumn.Adapted(column, new long[] { channels, height, width }, row =>
        {
            var getter = row.GetGetter<MLImage>(row.Schema[name]);
            MLImage image = null!;
            return destination =>
            {
                getter(ref image);
                if (image is null)
                    return false; // a missing image is a missing value: skipped in training, NaN when scoring
                if (image.Height != height || image.Width != width)
                    throw new InvalidOperationException($"An image in column '{name}' is {image.Height}x{image.Width} pixels (height x width); the network expects {height}x{width}. Resize every image (ResizeImages) to the same size.");
                WritePlanar(image, channels, destination);
                return true;
            };
        });
    }

    /// <summary>Converts interleaved 8-bit pixels to planar floats in [0, 1].</summary>
    private static void WritePlanar(MLImage image, int channels, Span<float> destination)
    {
        var pixels = image.Pixels;
        (int red, int green, int blue) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 1, 0),
            MLPixelFormat.Rgba32 => (0, 1, 2),
            _ => throw new InvalidOperationException($"Images in pixel format {image.PixelFormat} cannot be read; expected Bgra32 or Rgba32."),
        };
        int plane = image.Height * image.Width;
        const float scale = 1f / 255f;
        for (int i = 0, p = 0; i < plane; i++, p += 4)
        {
            float r = pixels[p + red], g = pixels[p + green], b = pixels[p + blue];
            if (channels == 1)
            {
                destination[i] = (0.299f * r + 0.587f * g + 0.114f * b) * scale;
                continue;
            }
            destination[i] = r * scale;
            destination[plane + i] = g * scale;
            destination[2 * plane + i] = b * scale;
            if (channels == 4)
                destination[3 * plane + i] = pixels[p + 3] * scale;
        }
    }
}
