using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// Instance masks of a YOLO segmentation export, made as Ultralytics' predictor makes them (its
/// <c>ops.process_mask(..., upsample=True)</c> followed by <c>ops.scale_image</c> to the original image):
/// <list type="number">
/// <item>probabilities <c>sigmoid(coefficients · prototypes)</c> on the prototype grid (<c>mh × mw</c>, a quarter of the input);</item>
/// <item>cropped to the box scaled to the grid: cell (c, r) is kept when <c>x0·mw/W ≤ c &lt; x1·mw/W</c> and
/// <c>y0·mh/H ≤ r &lt; y1·mh/H</c>, else 0;</item>
/// <item>upsampled bilinearly to the input size <c>W × H</c> (half-pixel centres, as <c>F.interpolate(align_corners=False)</c>)
/// and thresholded: <c>&gt; 0.5</c>;</item>
/// <item>brought back through the letterbox as <c>scale_image</c> does: the rows and columns
/// <c>int(pad) .. int(size - pad)</c> with <c>pad = (W - w·gain) / 2</c>, <c>gain = min(W/w, H/h)</c>, resized bilinearly
/// to the original <c>w × h</c> (as <c>cv2.resize</c>, <c>INTER_LINEAR</c>) and thresholded again at 0.5.</item>
/// </list>
/// The bilinear upsampling spreads a mask past its box (up to about one grid cell, four input pixels, to the right and
/// below), as Ultralytics' own masks do, so each <see cref="InstanceMask"/> covers the smallest rectangle holding the box
/// rounded out to whole pixels and every pixel of the mask.
/// </summary>
internal sealed class YoloPrototypeMasks
{
    /// <summary>Probability 0.5: the threshold of both steps.</summary>
    private const float Half = 0.5f;

    private float[] _coefficients = Array.Empty<float>();
    private float[] _cells = Array.Empty<float>();
    private byte[] _input = Array.Empty<byte>();
    private BilinearSample[] _columns = Array.Empty<BilinearSample>(), _rows = Array.Empty<BilinearSample>();

    /// <summary>The coefficients buffer for one detection (<paramref name="count"/> values), filled by the caller.</summary>
    public Span<float> Coefficients(int count)
    {
        if (_coefficients.Length < count)
            _coefficients = new float[count];
        return _coefficients.AsSpan(0, count);
    }

    /// <summary>The mask of one detection whose coefficients were written to <see cref="Coefficients"/>.</summary>
    /// <param name="prototypes">The image's prototypes, <c>[M, mh, mw]</c> row-major.</param>
    /// <param name="channels">M.</param>
    /// <param name="gridHeight">mh.</param>
    /// <param name="gridWidth">mw.</param>
    /// <param name="inputBox">The box in network-input pixels (x0, y0, x1, y1).</param>
    /// <param name="box">The box in original pixels (x0, y0, x1, y1), within the image.</param>
    /// <param name="mapping">The image's letterbox (source = original, target = network input).</param>
    public InstanceMask Make(ReadOnlySpan<float> prototypes, int channels, int gridHeight, int gridWidth,
        (float X0, float Y0, float X1, float Y1) inputBox, ReadOnlySpan<float> box, ImageResizeMapping mapping)
    {
        int inputWidth = mapping.TargetWidth, inputHeight = mapping.TargetHeight;
        int sourceWidth = mapping.SourceWidth, sourceHeight = mapping.SourceHeight;
        int boxLeft = (int)MathF.Floor(box[0]), boxTop = (int)MathF.Floor(box[1]);
        int boxRight = Math.Max(boxLeft, (int)MathF.Ceiling(box[2])), boxBottom = Math.Max(boxTop, (int)MathF.Ceiling(box[3]));

        // scale_image's crop of the letterboxed input: int() of the unrounded padding.
        double gain = Math.Min((double)inputHeight / sourceHeight, (double)inputWidth / sourceWidth);
        double padX = (inputWidth - sourceWidth * gain) / 2, padY = (inputHeight - sourceHeight * gain) / 2;
        bool same = inputWidth == sourceWidth && inputHeight == sourceHeight; // scale_image returns the mask as is
        int cropLeft = same ? 0 : (int)padX, cropTop = same ? 0 : (int)padY;
        int cropWidth = same ? sourceWidth : (int)(inputWidth - padX) - cropLeft, cropHeight = same ? sourceHeight : (int)(inputHeight - padY) - cropTop;

        // The pixels that can be set: the box, widened by what the two bilinear steps spread (two grid cells, then
        // two input pixels, each way), within the image.
        var (left, right) = Reach(inputBox.X0, inputBox.X1, (double)inputWidth / gridWidth, cropLeft, (double)sourceWidth / cropWidth, sourceWidth);
        var (top, bottom) = Reach(inputBox.Y0, inputBox.Y1, (double)inputHeight / gridHeight, cropTop, (double)sourceHeight / cropHeight, sourceHeight);
        left = Math.Min(left, boxLeft);
        top = Math.Min(top, boxTop);
        right = Math.Max(right, boxRight);
        bottom = Math.Max(bottom, boxBottom);
        int width = right - left, height = bottom - top;
        if (width <= 0 || height <= 0)
            return new InstanceMask(boxLeft, boxTop, boxRight - boxLeft, boxBottom - boxTop, new byte[(boxRight - boxLeft) * (boxBottom - boxTop)]);
        var pixels = new byte[width * height];
        _columns = ResizeSamples(_columns, Math.Max(left, 0), Math.Min(right, sourceWidth) - Math.Max(left, 0), cropWidth, sourceWidth, cropLeft);
        _rows = ResizeSamples(_rows, Math.Max(top, 0), Math.Min(bottom, sourceHeight) - Math.Max(top, 0), cropHeight, sourceHeight, cropTop);
        int innerLeft = Math.Max(left, 0), innerTop = Math.Max(top, 0);
        int innerWidth = Math.Min(right, sourceWidth) - innerLeft, innerHeight = Math.Min(bottom, sourceHeight) - innerTop;
        if (innerWidth <= 0 || innerHeight <= 0)
            return Trim(pixels, left, top, width, height, boxLeft, boxTop, boxRight, boxBottom);

        // The input pixels those samples read, and the grid cells those input pixels read.
        int u0 = _columns[0].First, u1 = _columns[innerWidth - 1].Second, v0 = _rows[0].First, v1 = _rows[innerHeight - 1].Second;
        var uSamples = BilinearSampling.Torch(u0, u1, gridWidth, inputWidth);
        var vSamples = BilinearSampling.Torch(v0, v1, gridHeight, inputHeight);
        int c0 = uSamples[0].First, c1 = uSamples[^1].Second, r0 = vSamples[0].First, r1 = vSamples[^1].Second;
        int cellsWide = c1 - c0 + 1, cellsHigh = r1 - r0 + 1;
        if (_cells.Length < cellsWide * cellsHigh)
            _cells = new float[cellsWide * cellsHigh];
        var cells = _cells.AsSpan(0, cellsWide * cellsHigh);
        FillCells(cells, prototypes, channels, gridHeight, gridWidth, inputBox, inputWidth, inputHeight, c0, c1, r0, r1);

        int inputWide = u1 - u0 + 1, inputHigh = v1 - v0 + 1;
        if (_input.Length < inputWide * inputHigh)
            _input = new byte[inputWide * inputHigh];
        var input = _input.AsSpan(0, inputWide * inputHigh);
        for (int v = 0; v < inputHigh; v++)
        {
            var rs = vSamples[v];
            var top0 = cells.Slice((rs.First - r0) * cellsWide, cellsWide);
            var top1 = cells.Slice((rs.Second - r0) * cellsWide, cellsWide);
            for (int u = 0; u < inputWide; u++)
            {
                var cs = uSamples[u];
                int a = cs.First - c0, b = cs.Second - c0;
                // upsample_bilinear2d's order of operations.
                float value = (1 - rs.Weight) * ((1 - cs.Weight) * top0[a] + cs.Weight * top0[b])
                    + rs.Weight * ((1 - cs.Weight) * top1[a] + cs.Weight * top1[b]);
                input[v * inputWide + u] = value > Half ? (byte)1 : (byte)0;
            }
        }

        for (int y = 0; y < innerHeight; y++)
        {
            var rs = _rows[y];
            var row0 = input.Slice((rs.First - v0) * inputWide, inputWide);
            var row1 = input.Slice((rs.Second - v0) * inputWide, inputWide);
            int at = (innerTop - top + y) * width + innerLeft - left;
            for (int x = 0; x < innerWidth; x++)
            {
                var cs = _columns[x];
                int a = cs.First - u0, b = cs.Second - u0;
                // cv2.resize (INTER_LINEAR): horizontal interpolation of each row first, then vertical.
                float upper = row0[a] * (1 - cs.Weight) + row0[b] * cs.Weight;
                float lower = row1[a] * (1 - cs.Weight) + row1[b] * cs.Weight;
                pixels[at + x] = upper * (1 - rs.Weight) + lower * rs.Weight > Half ? (byte)1 : (byte)0;
            }
        }
        return Trim(pixels, left, top, width, height, boxLeft, boxTop, boxRight, boxBottom);
    }

    /// <summary>
    /// Original pixels <c>[first, last)</c> along one axis that the mask of a box spanning <paramref name="x0"/> ..
    /// <paramref name="x1"/> input pixels can reach: two grid cells (<paramref name="cell"/> input pixels each) and two
    /// input pixels past the box, mapped through the crop at <paramref name="cropStart"/> and scaled by <paramref name="scale"/>
    /// (original pixels per input pixel), clipped to the image.
    /// </summary>
    private static (int First, int Last) Reach(float x0, float x1, double cell, int cropStart, double scale, int size)
    {
        double lo = (x0 - 2 * cell - 2 - cropStart) * scale - 2, hi = (x1 + 2 * cell + 2 - cropStart) * scale + 2;
        return ((int)Math.Clamp(Math.Floor(lo), 0, size), (int)Math.Clamp(Math.Ceiling(hi), 0, size));
    }

    /// <summary>The mask over the smallest rectangle holding the box (rounded out) and every set pixel.</summary>
    private static InstanceMask Trim(byte[] pixels, int left, int top, int width, int height, int boxLeft, int boxTop, int boxRight, int boxBottom)
    {
        int x0 = boxLeft, y0 = boxTop, x1 = boxRight, y1 = boxBottom;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (pixels[y * width + x] == 0)
                    continue;
                x0 = Math.Min(x0, left + x);
                x1 = Math.Max(x1, left + x + 1);
                y0 = Math.Min(y0, top + y);
                y1 = Math.Max(y1, top + y + 1);
            }
        }
        if (x0 == left && y0 == top && x1 - x0 == width && y1 - y0 == height)
            return new InstanceMask(left, top, width, height, pixels);
        var trimmed = new byte[(x1 - x0) * (y1 - y0)];
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                int sx = x - left, sy = y - top;
                if ((uint)sx < (uint)width && (uint)sy < (uint)height)
                    trimmed[(y - y0) * (x1 - x0) + x - x0] = pixels[sy * width + sx];
            }
        }
        return new InstanceMask(x0, y0, x1 - x0, y1 - y0, trimmed);
    }

    /// <summary>
    /// cv2.resize's bilinear source positions for destination pixels <paramref name="start"/> .. start + count - 1 of a
    /// <paramref name="sourceSize"/> → <paramref name="destinationSize"/> resize: <c>s = (d + 0.5)·source/destination - 0.5</c>,
    /// clamped to the first and last pixel (weight 0 there); indices offset by <paramref name="offset"/>.
    /// </summary>
    private static BilinearSample[] ResizeSamples(BilinearSample[] buffer, int start, int count, int sourceSize, int destinationSize, int offset)
    {
        if (buffer.Length < count)
            buffer = new BilinearSample[count];
        double scale = 1.0 / ((double)destinationSize / sourceSize);
        for (int i = 0; i < count; i++)
        {
            float f = (float)((start + i + 0.5) * scale - 0.5);
            int s = (int)MathF.Floor(f);
            f -= s;
            if (s < 0)
                (s, f) = (0, 0);
            if (s >= sourceSize - 1)
                (s, f) = (sourceSize - 1, 0);
            buffer[i] = new BilinearSample(offset + s, offset + Math.Min(s + 1, sourceSize - 1), f);
        }
        return buffer;
    }

    /// <summary>Cells c0..c1 × r0..r1 of the cropped probability grid: sigmoid(coefficients · prototypes) inside the box, 0 outside.</summary>
    private void FillCells(Span<float> cells, ReadOnlySpan<float> prototypes, int channels, int gridHeight, int gridWidth,
        (float X0, float Y0, float X1, float Y1) inputBox, int inputWidth, int inputHeight, int c0, int c1, int r0, int r1)
    {
        // crop_mask on the grid: the box times mw/W (a float32 product, as the reference's tensor).
        float widthRatio = (float)((double)gridWidth / inputWidth), heightRatio = (float)((double)gridHeight / inputHeight);
        float bx0 = inputBox.X0 * widthRatio, bx1 = inputBox.X1 * widthRatio, by0 = inputBox.Y0 * heightRatio, by1 = inputBox.Y1 * heightRatio;
        int wide = c1 - c0 + 1, plane = gridHeight * gridWidth;
        var coefficients = _coefficients.AsSpan(0, channels);
        for (int r = r0; r <= r1; r++)
        {
            bool rowInside = r >= by0 && r < by1;
            for (int c = c0; c <= c1; c++)
            {
                float value = 0;
                if (rowInside && c >= bx0 && c < bx1)
                {
                    float dot = 0;
                    int at = r * gridWidth + c;
                    for (int m = 0; m < channels; m++)
                        dot += coefficients[m] * prototypes[m * plane + at];
                    value = 1 / (1 + MathF.Exp(-dot));
                }
                cells[(r - r0) * wide + c - c0] = value;
            }
        }
    }
}
