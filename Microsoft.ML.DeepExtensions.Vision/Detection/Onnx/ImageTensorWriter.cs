using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// Writes an <see cref="MLImage"/> into a network's planar RGB float input (CHW: all R, then all G, then all B) in one
/// pass: resized into the content rectangle of an <see cref="ImageResizeMapping"/> (letterbox or stretch), a constant
/// padding around it, and each channel normalized as <c>byte · scale + offset</c> (<see cref="PixelNormalization"/>).
/// </summary>
/// <remarks>
/// <para>The resize is bilinear with half-pixel centres and clamped edges, the sampling of <c>cv2.resize(INTER_LINEAR)</c>,
/// <c>F.interpolate(align_corners=False)</c> and SkiaSharp's linear filter without mipmaps (<see cref="BilinearSampling.Torch"/>):
/// source <c>s = max(0, (d + 0.5) · source/content - 0.5)</c>. It is separable: each source row the output reads is
/// interpolated along x once (and kept for the next output row), then each output row is <c>(1 - w)·upper + w·lower</c>,
/// rounded to the nearest grey level as an 8-bit resize stores it (the images the exporters' references resize are 8-bit:
/// cv2.resize, PIL) and fused with the normalization (SIMD). No intermediate image is made.</para>
/// <para>An axis whose size does not change is copied, not resampled; the byte-to-float conversion runs four pixels at a
/// time (SIMD). An instance keeps its row and sampling buffers from image to image, so a scoring loop allocates nothing;
/// it is not thread-safe (one per scoring context).</para>
/// </remarks>
internal sealed class ImageTensorWriter
{
    private static readonly Vector128<byte> Byte0 = LaneMask(0), Byte1 = LaneMask(1), Byte2 = LaneMask(2);
    private static readonly float[] UnitScale = { 1, 1, 1 }, ZeroOffset = new float[3];

    private float[] _upper = Array.Empty<float>(), _lower = Array.Empty<float>();
    private readonly BilinearSampleCache _columns = new(), _rows = new();

    /// <summary>
    /// Fills <paramref name="destination"/> (<c>3 · TargetWidth · TargetHeight</c> floats) with <paramref name="image"/>
    /// resized as <paramref name="mapping"/> says, the padding pixels of grey level <paramref name="padding"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The image is not the mapping's source size, or the destination is too short.</exception>
    public void Write(MLImage image, ImageResizeMapping mapping, PixelNormalization normalization, byte padding, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(normalization);
        if (image.Width != mapping.SourceWidth || image.Height != mapping.SourceHeight)
            throw new ArgumentException($"The mapping is for {mapping.SourceWidth}x{mapping.SourceHeight} images, got {image.Width}x{image.Height}.", nameof(image));
        int width = mapping.TargetWidth, height = mapping.TargetHeight, plane = width * height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"A {width}x{height} network input needs {3 * plane} floats, got {destination.Length}.", nameof(destination));
        var (red, blue) = ImagePlanes.ChannelOffsets(image);
        int[] offsets = { red, 1, blue };
        var pixels = image.Pixels;
        int contentWidth = mapping.ContentWidth, contentHeight = mapping.ContentHeight, left = mapping.PadLeft, top = mapping.PadTop;
        FillPadding(destination, mapping, normalization, padding);

        bool copyX = contentWidth == image.Width, copyY = contentHeight == image.Height;
        int stride = 4 * image.Width;
        if (copyX && copyY)
        {
            for (int y = 0; y < contentHeight; y++)
            {
                int at = (top + y) * width + left;
                ToPlanes(pixels.Slice(y * stride, stride), offsets, normalization.Scale, normalization.Offset,
                    destination.Slice(at, contentWidth), destination.Slice(plane + at, contentWidth), destination.Slice(2 * plane + at, contentWidth));
            }
            return;
        }

        var columns = copyX ? null : _columns.For(image.Width, contentWidth);
        var rows = copyY ? null : _rows.For(image.Height, contentHeight);
        Grow(ref _upper, 3 * contentWidth);
        Grow(ref _lower, 3 * contentWidth);
        int upperRow = -1, lowerRow = -1;
        for (int y = 0; y < contentHeight; y++)
        {
            var (first, second, weight) = copyY ? new BilinearSample(y, y, 0) : rows![y];
            // The two source rows this output row reads, interpolated along x (swapped when the next output row moves on by one).
            if (first != upperRow)
            {
                if (first == lowerRow)
                    (_upper, _lower, upperRow, lowerRow) = (_lower, _upper, lowerRow, upperRow);
                else
                    Horizontal(pixels.Slice(first * stride, stride), offsets, columns, _upper.AsSpan(0, 3 * contentWidth), contentWidth);
                upperRow = first;
            }
            if (weight != 0 && second != lowerRow)
            {
                Horizontal(pixels.Slice(second * stride, stride), offsets, columns, _lower.AsSpan(0, 3 * contentWidth), contentWidth);
                lowerRow = second;
            }
            int at = (top + y) * width + left;
            for (int c = 0; c < 3; c++)
            {
                float scale = normalization.Scale[c], offset = normalization.Offset[c];
                var target = destination.Slice(c * plane + at, contentWidth);
                var upper = _upper.AsSpan(c * contentWidth, contentWidth);
                BlendRounded(upper, weight == 0 ? upper : _lower.AsSpan(c * contentWidth, contentWidth), weight, scale, offset, target);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (<c>3 · Width · Height</c> floats) with the image's 8-bit channels times
    /// <paramref name="scale"/> (1/255 for 0..1 inputs), at its own size.
    /// </summary>
    public static void WriteRgbPlanar(MLImage image, Span<float> destination, float scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"A {image.Width}x{image.Height} image needs {3 * plane} floats, got {destination.Length}.", nameof(destination));
        var (red, blue) = ImagePlanes.ChannelOffsets(image);
        ToPlanes(image.Pixels[..(4 * plane)], new[] { red, 1, blue }, new[] { scale, scale, scale }, new float[3],
            destination[..plane], destination.Slice(plane, plane), destination.Slice(2 * plane, plane));
    }

    /// <summary>The padding of every channel: whole rows above and below the content, and the columns beside it.</summary>
    private static void FillPadding(Span<float> destination, ImageResizeMapping mapping, PixelNormalization normalization, byte padding)
    {
        int width = mapping.TargetWidth, plane = width * mapping.TargetHeight;
        int top = mapping.PadTop, bottom = top + mapping.ContentHeight, left = mapping.PadLeft, right = left + mapping.ContentWidth;
        for (int c = 0; c < 3; c++)
        {
            var channel = destination.Slice(c * plane, plane);
            float value = normalization.Apply(c, padding);
            channel[..(top * width)].Fill(value);
            channel[(bottom * width)..].Fill(value);
            if (left == 0 && right == width)
                continue;
            for (int y = top; y < bottom; y++)
            {
                channel.Slice(y * width, left).Fill(value);
                channel.Slice(y * width + right, width - right).Fill(value);
            }
        }
    }

    /// <summary>One source row resized along x into three planes of <paramref name="width"/> floats (grey levels), or copied when <paramref name="columns"/> is null.</summary>
    private static void Horizontal(ReadOnlySpan<byte> row, int[] offsets, BilinearSample[]? columns, Span<float> destination, int width)
    {
        var r = destination[..width];
        var g = destination.Slice(width, width);
        var b = destination.Slice(2 * width, width);
        if (columns is null)
        {
            ToPlanes(row, offsets, UnitScale, ZeroOffset, r, g, b);
            return;
        }
        int red = offsets[0], blue = offsets[2];
        for (int x = 0; x < width; x++)
        {
            var (first, second, weight) = columns[x];
            int p0 = 4 * first, p1 = 4 * second;
            float w0 = 1 - weight;
            r[x] = w0 * row[p0 + red] + weight * row[p1 + red];
            g[x] = w0 * row[p0 + 1] + weight * row[p1 + 1];
            b[x] = w0 * row[p0 + blue] + weight * row[p1 + blue];
        }
    }

    /// <summary>
    /// Interleaved 32-bit pixels to three float planes, channel <c>c</c> (at byte <c>offsets[c]</c> of a pixel) as
    /// <c>byte · scale[c] + offset[c]</c>; four pixels at a time with a byte shuffle where the CPU has one.
    /// </summary>
    private static void ToPlanes(ReadOnlySpan<byte> pixels, int[] offsets, float[] scale, float[] offset, Span<float> r, Span<float> g, Span<float> b)
    {
        int count = r.Length;
        if (pixels.Length < 4 * count || g.Length != count || b.Length != count)
            throw new ArgumentException($"{count} pixels need {4 * count} bytes and three planes of {count}, got {pixels.Length} bytes.");
        int i = 0;
        if (Vector128.IsHardwareAccelerated && count >= 4)
        {
            Vector128<byte> maskR = LaneMaskAt(offsets[0]), maskG = LaneMaskAt(offsets[1]), maskB = LaneMaskAt(offsets[2]);
            Vector128<float> scaleR = Vector128.Create(scale[0]), scaleG = Vector128.Create(scale[1]), scaleB = Vector128.Create(scale[2]);
            Vector128<float> offsetR = Vector128.Create(offset[0]), offsetG = Vector128.Create(offset[1]), offsetB = Vector128.Create(offset[2]);
            ref byte source = ref MemoryMarshal.GetReference(pixels);
            ref float red = ref MemoryMarshal.GetReference(r), green = ref MemoryMarshal.GetReference(g), blue = ref MemoryMarshal.GetReference(b);
            for (; i <= count - 4; i += 4)
            {
                var four = Vector128.LoadUnsafe(ref source, (nuint)(4 * i));
                (Vector128.ConvertToSingle(Gather(four, maskR).AsInt32()) * scaleR + offsetR).StoreUnsafe(ref red, (nuint)i);
                (Vector128.ConvertToSingle(Gather(four, maskG).AsInt32()) * scaleG + offsetG).StoreUnsafe(ref green, (nuint)i);
                (Vector128.ConvertToSingle(Gather(four, maskB).AsInt32()) * scaleB + offsetB).StoreUnsafe(ref blue, (nuint)i);
            }
        }
        for (int p = 4 * i; i < count; i++, p += 4)
        {
            r[i] = pixels[p + offsets[0]] * scale[0] + offset[0];
            g[i] = pixels[p + offsets[1]] * scale[1] + offset[1];
            b[i] = pixels[p + offsets[2]] * scale[2] + offset[2];
        }
    }

    /// <summary>
    /// <c>destination = ⌊(1 - w)·a + w·b + 0.5⌋ · scale + offset</c>, element-wise (SIMD): the resampled grey level rounded to
    /// the nearest whole level (halves up, as the fixed-point resizes of OpenCV and SkiaSharp round), then normalized.
    /// </summary>
    private static void BlendRounded(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float weight, float scale, float offset, Span<float> destination)
    {
        float wa = 1 - weight;
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(wa);
            var vb = Vector128.Create(weight);
            var vs = Vector128.Create(scale);
            var vo = Vector128.Create(offset);
            var half = Vector128.Create(0.5f);
            ref float x = ref MemoryMarshal.GetReference(a), y = ref MemoryMarshal.GetReference(b), d = ref MemoryMarshal.GetReference(destination);
            for (; i <= destination.Length - 4; i += 4)
            {
                var grey = Vector128.LoadUnsafe(ref x, (nuint)i) * va + Vector128.LoadUnsafe(ref y, (nuint)i) * vb;
                (Vector128.Floor(grey + half) * vs + vo).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < destination.Length; i++)
            destination[i] = MathF.Floor(a[i] * wa + b[i] * weight + 0.5f) * scale + offset;
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new float[length];
    }

    /// <summary>Byte <paramref name="channel"/> of each of four pixels moved to the low byte of its own 32-bit lane; the rest zero.</summary>
    private static Vector128<byte> LaneMask(int channel)
    {
        const byte zero = 0x80; // a shuffle index with the high bit set gives 0 (pshufb), as does any index past 15 (Vector128.Shuffle, tbl)
        var indices = new byte[16];
        Array.Fill(indices, zero);
        for (int pixel = 0; pixel < 4; pixel++)
            indices[4 * pixel] = (byte)(4 * pixel + channel);
        return Vector128.Create(indices);
    }

    private static Vector128<byte> LaneMaskAt(int channel) => channel switch
    {
        0 => Byte0,
        1 => Byte1,
        2 => Byte2,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "A colour channel is byte 0, 1 or 2 of a pixel."),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Gather(Vector128<byte> pixels, Vector128<byte> mask) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(pixels, mask) : Vector128.Shuffle(pixels, mask);
}
