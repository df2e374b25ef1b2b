using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepExtensions.Cli.Commands;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;
using Microsoft.ML.Transforms.Image;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench soak</c>: memory over long runs. Streams synthetic rows (generated lazily, never held)
/// through a fitted MLP regression model's <c>Transform</c>, then reads and detects image after image with a
/// Haar cascade detector (each photo decoded from its file by <see cref="ImageFile"/> and disposed), sampling
/// the process's resident memory (VmRSS) at even steps; with <c>--segmentation-images</c>, labels photo after photo with an
/// ONNX segmentation model through <c>LoadImages → SegmentImages</c> as well. After warm-up (the first sample, taken after one
/// step) the working set must not grow by more than <see cref="AllowedGrowth"/>: a leak of native tensors,
/// images or cursors would show as a curve that keeps rising.
/// </summary>
public static class SoakBenchmark
{
    /// <summary>Growth of the working set allowed from the first sample after warm-up to the last: 5%.</summary>
    public const double AllowedGrowth = 0.05;

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("rows", "N", "Rows scored by the tabular model (default 1000000)."),
        new("images", "N", "Images read and searched by the detector (default 20000)."),
        new("samples", "N", "Memory samples per part, evenly spaced (default 20)."),
        new("cascade", "FILE.xml", "The detector's cascade (default: OpenCV's frontal face cascade from opencv-data)."),
        new("photos", "DIR", "Photos of at most 640x480 pixels, up to 16 used in turn (default: opencv-doc's sample photos)."),
        new("segmentation-images", "N", "Also labels N photos (in turn) through LoadImages + SegmentImages, the rows streamed through one cursor (default 0: off; e.g. 2000)."),
        new("segmentation-model", "FILE.onnx", "The segmentation model (default: bench segmentation's lraspp_mobilenet_v3_large, generated on first use)."),
        new("settle", null, "A full garbage collection before each sample: the curve then shows memory held, not garbage the GC has yet to reclaim (large objects wait for a gen-2 collection)."),
        new("segmentation-classes", "FILE", "The segmentation model's class names, one per line (default: its metadata, or PASCAL VOC's for 21 classes)."),
    };

    public const string Summary =
        "Memory over long runs: scores --rows synthetic rows through an MLP model's Transform and detects faces in\n" +
        "--images photos with a Haar cascade (and, with --segmentation-images, labels photos with an ONNX segmentation model\n" +
        "through LoadImages + SegmentImages), sampling the resident memory; after warm-up it must grow by at most 5%.";

    private const int FeatureCount = 16;

    private const string DefaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
    private const string DefaultPhotos = "/usr/share/doc/opencv-doc/examples/data";

    /// <summary>One part's memory curve: resident megabytes after each step.</summary>
    public sealed record Curve(string Part, long Items, double Seconds, IReadOnlyList<double> ResidentMegabytes)
    {
        public double Start => ResidentMegabytes[0];

        public double End => ResidentMegabytes[^1];

        public double Peak => ResidentMegabytes.Max();

        /// <summary>(end - start) / start, from the first sample after warm-up to the last.</summary>
        public double Growth => (End - Start) / Start;

        public bool WithinLimit => Growth <= AllowedGrowth;
    }

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (Arguments.ParseOrShowHelp("bench soak", args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        long rows = Positive(arguments, "rows", 1_000_000);
        long images = Positive(arguments, "images", 20_000);
        int samples = (int)Math.Min(Positive(arguments, "samples", 20), Math.Min(rows, images));
        if (samples < 2)
            throw CliException.UsageError("bench soak: --samples must be at least 2 (a start and an end), and --rows and --images at least as many");
        string cascade = arguments.Get("cascade") ?? DefaultCascade;
        if (!File.Exists(cascade))
            throw CliException.DataError($"--cascade '{cascade}' not found (install opencv-data, or pass --cascade FILE.xml)");
        string[] photos = Photos(arguments.Get("photos") ?? DefaultPhotos);
        long? segmentationImages = arguments.Get("segmentation-images") is null ? null : Positive(arguments, "segmentation-images", 0);
        bool settle = arguments.Has("settle");
        // The curves depend on it (see the LOHThreshold note in DeepExtensions.Cli.csproj): say which one this run had.
        long largeObjectThreshold = GC.GetConfigurationVariables().TryGetValue("LOHThreshold", out var threshold) ? Convert.ToInt64(threshold) : 85_000;
        stderr.WriteLine($"bench soak: objects of {largeObjectThreshold:N0} bytes or more go to the large-object heap");

        var tabular = Tabular(rows, samples, settle, stderr, cancellationToken);
        Report(stdout, tabular);
        var detection = Detection(cascade, photos, images, samples, settle, stderr, cancellationToken);
        Report(stdout, detection);
        var parts = new List<Curve> { tabular, detection };
        if (segmentationImages is long labelled)
        {
            var segmentation = Segmentation(arguments.Get("segmentation-model"), arguments.Get("segmentation-classes"), photos, labelled,
                (int)Math.Min(samples, labelled), settle, stderr, cancellationToken);
            Report(stdout, segmentation);
            parts.Add(segmentation);
        }
        stdout.WriteLine(JsonSerializer.Serialize(new
        {
            Benchmark = "soak",
            AllowedGrowth,
            Settled = settle,
            LargeObjectThresholdBytes = largeObjectThreshold,
            Parts = parts.Select(c => new
            {
                c.Part, c.Items, Seconds = Math.Round(c.Seconds, 1), StartMB = Math.Round(c.Start, 1), EndMB = Math.Round(c.End, 1),
                PeakMB = Math.Round(c.Peak, 1), Growth = Math.Round(c.Growth, 4), c.WithinLimit, CurveMB = c.ResidentMegabytes.Select(m => Math.Round(m, 1)),
            }),
        }));
        return parts.All(c => c.WithinLimit) ? ExitCodes.Success : ExitCodes.Data;
    }

    /// <summary>Fits a small MLP regression model, then streams <paramref name="rows"/> fresh rows through its Transform.</summary>
    private static Curve Tabular(long rows, int samples, bool settle, TextWriter stderr, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(SoakRow));
        schema[nameof(SoakRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        var training = ml.Data.LoadFromEnumerable(SoakRow.Generate(2_000, seed: 1), schema);
        var model = ml.Regression.Trainers.Mlp(new MlpTrainer.Options { HiddenLayers = new[] { 32 }, Epochs = 3, CancellationToken = cancellationToken }).Fit(training);
        try
        {
            stderr.WriteLine($"bench soak: scoring {rows:N0} rows through the MLP's Transform");
            // LoadFromEnumerable streams the generator: the rows are made as the cursor asks for them.
            var scored = model.Transform(ml.Data.LoadFromEnumerable(SoakRow.Generate(rows, seed: 2), schema));
            using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"] });
            var score = cursor.GetGetter<float>(scored.Schema["Score"]);
            return Measure("tabular Transform", rows, samples, settle, stderr, () =>
            {
                float value = 0;
                if (!cursor.MoveNext())
                    throw new InvalidOperationException("the scored view ended early");
                score(ref value);
                if ((cursor.Position & 0xFFFF) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
            });
        }
        finally
        {
            model.Dispose();
        }
    }

    /// <summary>Reads and searches <paramref name="images"/> photos (in turn) with a Haar cascade detector.</summary>
    private static Curve Detection(string cascade, string[] photos, long images, int samples, bool settle, TextWriter stderr, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: 1);
        // A usual face-detection set-up: faces of 48 pixels and more, pyramid steps of 1.2.
        var detector = ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions
            {
                CascadePath = cascade,
                ImageColumnName = "Image",
                ScaleFactor = 1.2,
                MinSize = new System.Drawing.Size(48, 48),
            })
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>()));
        stderr.WriteLine($"bench soak: reading and searching {images:N0} images ({photos.Length} photos in turn) with {Path.GetFileName(cascade)}");
        long next = 0;
        long found = 0;
        var curve = Measure("detection (read + Haar cascade)", images, samples, settle, stderr, () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var image = ImageFile.Load(photos[next++ % photos.Length]);
            found += detector.Detect(image).Count;
        });
        stderr.WriteLine($"bench soak: {found:N0} detections");
        return curve;
    }

    /// <summary>
    /// Labels <paramref name="images"/> photos (in turn) with a semantic segmentation model through <c>LoadImages →
    /// SegmentImages</c>: the path rows are generated as the cursor asks for them and every class map is read from the column,
    /// so the whole data path (decoding, the network input, ONNX Runtime, the logits resized to each photo, the batches run
    /// ahead on a worker) runs as long as a folder of thousands of photos would.
    /// </summary>
    private static Curve Segmentation(string? model, string? classes, string[] photos, long images, int samples, bool settle, TextWriter stderr, CancellationToken cancellationToken)
    {
        string modelPath = model ?? BenchAssets.GeneratedModel("lraspp_mobilenet_v3_large.onnx", Path.Combine("Bench", "Segmentation", "generate_lraspp_bench_model.py"), "Debian python3-torch, python3-torchvision", stderr);
        if (!File.Exists(modelPath))
            throw CliException.DataError($"--segmentation-model '{modelPath}' does not exist");
        if (classes is not null && !File.Exists(classes))
            throw CliException.DataError($"--segmentation-classes '{classes}' does not exist");
        var ml = new MLContext(seed: 1);
        using var segmenter = SemanticSegmenter.Create(ml, new SemanticSegmenter.Options
        {
            ModelPath = modelPath,
            Kind = SemanticSegmentationKind.Lraspp,
            ClassNamesFile = classes,
            BatchSize = 4,
            Device = ComputeDevice.Cpu,
        });
        var rows = ml.Data.LoadFromEnumerable(PhotoRow.InTurn(photos, images));
        var loaded = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(PhotoRow.Path))
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<PhotoRow>())).Transform(rows);
        var scored = segmenter.Transform(loaded);
        var column = scored.Schema[segmenter.ClassMapColumnName];
        stderr.WriteLine($"bench soak: labelling {images:N0} photos ({photos.Length} in turn) with {Path.GetFileName(modelPath)}, batch {segmenter.BatchSize}");
        using var cursor = scored.GetRowCursor(new[] { column });
        var getMap = cursor.GetGetter<VBuffer<uint>>(column);
        VBuffer<uint> map = default;
        long pixels = 0;
        var curve = Measure("segmentation (LoadImages + SegmentImages)", images, samples, settle, stderr, () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!cursor.MoveNext())
                throw new InvalidOperationException("the scored view ended early");
            getMap(ref map);
            pixels += map.Length;
        });
        stderr.WriteLine($"bench soak: {pixels:N0} pixels labelled");
        return curve;
    }

    /// <summary>Runs <paramref name="step"/> <paramref name="count"/> times, sampling the resident memory <paramref name="samples"/> times at even steps.</summary>
    /// <param name="settle">Whether a full garbage collection precedes each sample (<c>--settle</c>): the curve then shows the
    /// memory held rather than garbage the GC has yet to reclaim (large objects wait for a gen-2 collection).</param>
    private static Curve Measure(string part, long count, int samples, bool settle, TextWriter stderr, Action step)
    {
        var curve = new List<double>(samples);
        var clock = Stopwatch.StartNew();
        long done = 0;
        for (int s = 1; s <= samples; s++)
        {
            long until = count * s / samples;
            for (; done < until; done++)
                step();
            if (settle)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }
            double megabytes = ResidentMegabytes();
            curve.Add(megabytes);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench soak: {part}: {done:N0}/{count:N0}, resident {megabytes:0.0} MB (managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:0.0} MB), {clock.Elapsed.TotalSeconds:0.0} s"));
        }
        return new Curve(part, count, clock.Elapsed.TotalSeconds, curve);
    }

    /// <summary>Up to 16 JPEG and PNG photos of at most 640x480 pixels (a camera frame) from <paramref name="folder"/>.</summary>
    private static string[] Photos(string folder)
    {
        var photos = new List<string>();
        foreach (string path in ImageFiles.Find(folder, "--photos").Where(p => Path.GetExtension(p).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png"))
        {
            try
            {
                using var image = ImageFile.Load(path);
                if (image.Width * image.Height <= 640 * 480)
                    photos.Add(path);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // not a usable photo: left out
            }
            if (photos.Count == 16)
                break;
        }
        return photos.Count > 0 ? photos.ToArray() : throw CliException.DataError($"--photos '{folder}' has no readable JPEG or PNG photo of at most 640x480 pixels");
    }

    private static void Report(TextWriter stdout, Curve curve) =>
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{curve.Part}: {curve.Items:N0} in {curve.Seconds:0.0} s; resident after warm-up {curve.Start:0.0} MB, at the end {curve.End:0.0} MB ({curve.Growth:+0.0%;-0.0%}), peak {curve.Peak:0.0} MB: {(curve.WithinLimit ? "within" : "OVER")} the {AllowedGrowth:0%} limit"));

    /// <summary>The process's resident set (VmRSS: managed and native memory together).</summary>
    private static double ResidentMegabytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / (1024.0 * 1024.0);
    }

    private static long Positive(Arguments arguments, string name, long fallback)
    {
        string? text = arguments.Get(name);
        if (text is null)
            return fallback;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value > 0
            ? value : throw CliException.UsageError($"bench soak: --{name} must be a positive integer, got '{text}'");
    }

    /// <summary>A row of the segmentation part: one photo's path.</summary>
    private sealed class PhotoRow
    {
        public string Path { get; set; } = "";

        public static IEnumerable<PhotoRow> InTurn(string[] photos, long count)
        {
            for (long i = 0; i < count; i++)
                yield return new PhotoRow { Path = photos[i % photos.Length] };
        }
    }

    private sealed class ImageRow
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }
    }

    /// <summary>A synthetic regression row: standard-normal-ish features and a noisy linear target.</summary>
    private sealed class SoakRow
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = Array.Empty<float>();

        public static IEnumerable<SoakRow> Generate(long count, int seed)
        {
            var random = new Random(seed);
            for (long i = 0; i < count; i++)
            {
                var features = new float[FeatureCount];
                float label = 0;
                for (int f = 0; f < FeatureCount; f++)
                {
                    features[f] = (float)(random.NextDouble() * 2 - 1);
                    label += (f % 3 - 1) * features[f];
                }
                yield return new SoakRow { Label = label + (float)(random.NextDouble() * 0.1), Features = features };
            }
        }
    }
}
