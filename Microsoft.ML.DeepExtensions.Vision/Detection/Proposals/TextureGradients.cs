using System.Runtime.CompilerServices;
namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>
/// The 8 oriented gradient images of selective search's texture similarity, as OpenCV's implementation makes them
/// (Uijlings et al. use Gaussian derivatives in 8 orientations; OpenCV uses Scharr derivatives): the positive and the
/// negative part of the x and y Scharr derivatives of the channel, and of the channel rotated by 45° (derivatives taken
/// on the rotated image, rotated back and cut to the image), each stretched from its own minimum–maximum range to
/// 0 .. 255 bytes.
/// </summary>
internal static class TextureGradients
{
    /// <summary>The 8 gradient images of every channel of <paramref name="image"/>.</summary>
    public static byte[][][] Compute(ByteImage image)
    {
        var result = new byte[image.Channels][][];
        for (int c = 0; c < image.Channels; c++)
            result[c] = Compute(image.Plane(c), image.Width, image.Height);
        return result;
    }

    /// <summary>x+, x−, y+, y−, rotated x+, rotated x−, rotated y+, rotated y− of an 8-bit channel.</summary>
    public static byte[][] Compute(byte[] plane, int width, int height)
    {
        var parts = new List<float[]>(8);
        AddSigned(parts, Scharr(plane, width, height, horizontal: true));
        AddSigned(parts, Scharr(plane, width, height, horizontal: false));

        float centerX = width / 2.0f, centerY = height / 2.0f;
        var rotate = AffineWarp.RotationMatrix(centerX, centerY, 45);
        var (boxWidth, boxHeight) = RotatedBoundingSize(centerX, centerY, width, height, 45);
        rotate[2] += boxWidth / 2.0 - centerX;
        rotate[5] += boxHeight / 2.0 - centerY;
        var rotated = AffineWarp.Warp(plane, width, height, rotate, boxWidth, boxHeight);
        var back = AffineWarp.RotationMatrix((int)(boxWidth / 2.0), (int)(boxHeight / 2.0), -45);
        int left = (boxWidth - width) / 2, top = (boxHeight - height) / 2;
        foreach (bool horizontal in new[] { true, false })
        {
            var gradient = AffineWarp.Warp(Scharr(rotated, boxWidth, boxHeight, horizontal), boxWidth, boxHeight, back, boxWidth, boxHeight);
            var cropped = new float[width * height];
            for (int y = 0; y < height; y++)
                Array.Copy(gradient, (y + top) * boxWidth + left, cropped, y * width, width);
            AddSigned(parts, cropped);
        }
        return parts.Select(StretchToBytes).ToArray();
    }

    /// <summary>
    /// OpenCV's <c>Scharr(src, dst, CV_32F, 1, 0)</c> (or <c>0, 1</c>): the kernel [-1 0 1] along the derivative and
    /// [3 10 3] across it, mirrored borders; the values are small integers, so exact in floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static float[] Scharr(byte[] plane, int width, int height, bool horizontal)
    {
        var left = new int[width];
        var right = new int[width];
        for (int x = 0; x < width; x++)
        {
            left[x] = GaussianSmoothing.Reflect101(x - 1, width);
            right[x] = GaussianSmoothing.Reflect101(x + 1, width);
        }
        var result = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            int up = GaussianSmoothing.Reflect101(y - 1, height) * width, row = y * width, down = GaussianSmoothing.Reflect101(y + 1, height) * width;
            for (int x = 0; x < width; x++)
            {
                int l = left[x], r = right[x];
                int value = horizontal
                    ? 3 * (plane[up + r] - plane[up + l]) + 10 * (plane[row + r] - plane[row + l]) + 3 * (plane[down + r] - plane[down + l])
                    : 3 * (plane[down + l] - plane[up + l]) + 10 * (plane[down + x] - plane[up + x]) + 3 * (plane[down + r] - plane[up + r]);
                result[row + x] = value;
            }
        }
        return result;
    }

    /// <summary>Adds max(g, 0) and min(g, 0) (OpenCV's THRESH_TOZERO and THRESH_TOZERO_INV at 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void AddSigned(List<float[]> parts, float[] gradient)
    {
        var positive = new float[gradient.Length];
        var negative = new float[gradient.Length];
        for (int i = 0; i < gradient.Length; i++)
        {
            if (gradient[i] > 0)
                positive[i] = gradient[i];
            else
                negative[i] = gradient[i];
        }
        parts.Add(positive);
        parts.Add(negative);
    }

    /// <summary>
    /// <c>convertTo(CV_8U, 255/(max − min), −255·min/(max − min))</c>: a fused multiply-add in floats, rounded half to
    /// even and saturated, as OpenCV's vectorised conversion does; a flat image (max = min) gives NaN there, which
    /// converts to 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static byte[] StretchToBytes(float[] values)
    {
        double min = double.MaxValue, max = double.MinValue;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        float alpha = (float)(255.0 / (max - min)), beta = (float)(-255.0 * min / (max - min));
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = MathF.FusedMultiplyAdd(values[i], alpha, beta);
            bytes[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Round(v, MidpointRounding.ToEven), 0f, 255f);
        }
        return bytes;
    }

    /// <summary>Width and height of OpenCV's <c>RotatedRect(center, size, angle).boundingRect()</c>, computed in floats as it does.</summary>
    private static (int Width, int Height) RotatedBoundingSize(float centerX, float centerY, int width, int height, double angleDegrees)
    {
        double angle = angleDegrees * Math.PI / 180;
        float b = (float)Math.Cos(angle) * 0.5f, a = (float)Math.Sin(angle) * 0.5f;
        float w = width, h = height;
        float x0 = centerX - a * h - b * w, y0 = centerY + b * h - a * w;
        float x1 = centerX + a * h - b * w, y1 = centerY - b * h - a * w;
        float x2 = 2 * centerX - x0, y2 = 2 * centerY - y0;
        float x3 = 2 * centerX - x1, y3 = 2 * centerY - y1;
        int left = (int)MathF.Floor(MathF.Min(MathF.Min(MathF.Min(x0, x1), x2), x3));
        int top = (int)MathF.Floor(MathF.Min(MathF.Min(MathF.Min(y0, y1), y2), y3));
        int right = (int)MathF.Ceiling(MathF.Max(MathF.Max(MathF.Max(x0, x1), x2), x3));
        int bottom = (int)MathF.Ceiling(MathF.Max(MathF.Max(MathF.Max(y0, y1), y2), y3));
        return (right - left + 1, bottom - top + 1);
    }
}
