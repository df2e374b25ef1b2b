using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Finds objects in 8-bit gray images with a Haar cascade, reproducing OpenCV's CPU
/// <c>CascadeClassifier::detectMultiScale</c>: the image (not the features) is shrunk level by
/// level (<see cref="PyramidLevel"/>) with OpenCV's bit-exact bilinear resampling; every level gets
/// upright, squared and (when the cascade has tilted features) 45° integral images; the window
/// slides over each level and runs the attentional cascade with early rejection; raw hits are
/// grouped (<see cref="RectangleGrouping"/>, eps 0.2) and clipped to the image.
/// An image smaller than the cascade's window yields no detections.
/// A detector is immutable and may be used from several threads at once.
/// </summary>
public sealed unsafe class HaarDetector
{
    // Rows of window positions per parallel work item: large enough to amortise scheduling.
    private const int RowsPerChunk = 8;

    private readonly bool _hasTiltedFeatures;
    private CompiledCascade? _compiled;
    private Workspace? _spareWorkspace;

    /// <summary>Creates a detector for a cascade.</summary>
    public HaarDetector(HaarCascade cascade)
    {
        ArgumentNullException.ThrowIfNull(cascade);
        Cascade = cascade;
        _hasTiltedFeatures = cascade.HasTiltedFeatures;
    }

    /// <summary>The cascade the detector runs.</summary>
    public HaarCascade Cascade { get; }

    /// <summary>Detects objects in a gray image stored row after row without padding.</summary>
    /// <param name="gray">Pixels, <paramref name="width"/> x <paramref name="height"/> bytes.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="options">Scan parameters; null for the defaults of <see cref="HaarDetectionOptions"/>.</param>
    /// <returns>The grouped detections, in the order OpenCV's grouping produces them.</returns>
    public IReadOnlyList<HaarDetection> Detect(ReadOnlySpan<byte> gray, int width, int height, HaarDetectionOptions? options = null) =>
        Detect(gray, width, height, width, options);

    /// <summary>Detects objects in a gray image whose rows are <paramref name="stride"/> bytes apart.</summary>
    public IReadOnlyList<HaarDetection> Detect(ReadOnlySpan<byte> gray, int width, int height, int stride, HaarDetectionOptions? options = null)
    {
        options ??= new HaarDetectionOptions();
        var hits = FindWindows(gray, width, height, stride, options);
        return GroupAndClip(hits, options.MinNeighbors, width, height);
    }

    /// <summary>The second half of <see cref="Detect(ReadOnlySpan{byte}, int, int, int, HaarDetectionOptions?)"/>: groups raw hits and clips the boxes to the image.</summary>
    internal static List<HaarDetection> GroupAndClip(List<Rectangle> hits, int minNeighbors, int width, int height) =>
        Clip(RectangleGrouping.Group(hits, minNeighbors), width, height);

    /// <summary>
    /// The raw window hits before grouping, in scan order (level by level, row by row), not clipped.
    /// </summary>
    internal List<Rectangle> FindWindows(ReadOnlySpan<byte> gray, int width, int height, int stride, HaarDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"The image must have a positive size, got {width}x{height}.");
        if (stride < width)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The row stride must be at least the width {width}, got {stride}.");
        long needed = (long)stride * (height - 1) + width;
        if (gray.Length < needed)
            throw new ArgumentException($"A {width}x{height} image with stride {stride} needs {needed} bytes, got {gray.Length}.", nameof(gray));

        var hits = new List<Rectangle>();
        var levels = PyramidLevel.Plan(width, height, Cascade.WindowWidth, Cascade.WindowHeight, options);
        if (levels.Count == 0)
            return hits;

        // The first level is the largest: its buffers serve every level.
        var first = levels[0];
        var workspace = Interlocked.Exchange(ref _spareWorkspace, null);
        if (workspace is null || !workspace.Fits(first.Width, first.Height))
            workspace = new Workspace(first.Width, first.Height, _hasTiltedFeatures);
        var integrals = workspace.Integrals;
        var compiled = Compiled(integrals.Stride, integrals.TiltedOffset);
        fixed (byte* source = gray)
        fixed (byte* level = workspace.Resized)
        {
            foreach (var l in levels)
            {
                ExactBilinearResize.Resize(source, width, height, stride, level, l.Width, l.Height, l.Width);
                integrals.Compute(level, l.Width, l.Height, l.Width);
                Scan(compiled, integrals, l, options.MaxDegreeOfParallelism, hits);
            }
        }
        _spareWorkspace = workspace;
        return hits;
    }

    /// <summary>
    /// The buffers of one scan (integral images and the resized level), kept by the detector for the next
    /// image so that a stream of images allocates them once; concurrent scans each get their own.
    /// </summary>
    private sealed class Workspace(int width, int height, bool tilted)
    {
        public IntegralImages Integrals { get; } = new(width, height, tilted);

        public byte[] Resized { get; } = GC.AllocateUninitializedArray<byte>(Math.Max(1, width * height), pinned: true);

        public bool Fits(int levelWidth, int levelHeight) =>
            Integrals.Stride >= levelWidth + 1 && Integrals.Rows >= levelHeight + 1 && Resized.Length >= levelWidth * levelHeight;
    }

    private CompiledCascade Compiled(int stride, int tiltedOffset)
    {
        var compiled = _compiled;
        if (compiled is null || compiled.Stride != stride || compiled.TiltedOffset != tiltedOffset)
        {
            compiled = new CompiledCascade(Cascade, stride, tiltedOffset);
            _compiled = compiled;
        }
        return compiled;
    }

    private void Scan(CompiledCascade cascade, IntegralImages integrals, PyramidLevel level, int maxDegreeOfParallelism, List<Rectangle> hits)
    {
        // Window origins (x, y) with x + w <= level width, y + h <= level height (rows: see PyramidLevel.RowLimit).
        int columns = Math.Max(level.Width + 1 - Cascade.WindowWidth, 0);
        int rows = level.RowLimit;
        if (columns == 0 || rows == 0)
            return;
        int rowCount = (rows + level.Step - 1) / level.Step;
        int chunks = (rowCount + RowsPerChunk - 1) / RowsPerChunk;
        if (maxDegreeOfParallelism == 1 || chunks == 1)
        {
            ScanRows(cascade, integrals, level, 0, rows, columns, hits);
            return;
        }
        var results = new List<Rectangle>[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, chunk =>
        {
            var found = new List<Rectangle>();
            int yFrom = chunk * RowsPerChunk * level.Step;
            int yTo = Math.Min(rows, yFrom + RowsPerChunk * level.Step);
            ScanRows(cascade, integrals, level, yFrom, yTo, columns, found);
            results[chunk] = found;
        });
        // Chunks in row order: the same list as a single-threaded scan.
        foreach (var found in results)
            hits.AddRange(found);
    }

    private static void ScanRows(CompiledCascade cascade, IntegralImages integrals, PyramidLevel level, int yFrom, int yTo, int columns, List<Rectangle> hits)
    {
        int* sums = integrals.Sums;
        int* squares = integrals.Squares;
        int stride = integrals.Stride;
        int step = level.Step;
        float scale = level.Scale;
        for (int y = yFrom; y < yTo; y += step)
        {
            int rowOffset = y * stride;
            for (int x = 0; x < columns; x += step)
            {
                int result = cascade.Evaluate(sums, squares, rowOffset + x);
                if (result > 0)
                {
                    hits.Add(new Rectangle(PyramidLevel.RoundEven(x * scale), PyramidLevel.RoundEven(y * scale),
                        level.WindowWidth, level.WindowHeight));
                }
                else if (result == 0)
                {
                    // Rejected by the very first stage: OpenCV skips the next position too.
                    x += step;
                }
            }
        }
    }

    private static List<HaarDetection> Clip(List<HaarDetection> detections, int width, int height)
    {
        var image = new Rectangle(0, 0, width, height);
        var clipped = new List<HaarDetection>(detections.Count);
        foreach (var d in detections)
        {
            var box = Rectangle.Intersect(image, d.Box);
            if (box.Width > 0 && box.Height > 0)
                clipped.Add(d with { Box = box });
        }
        return clipped;
    }
}
