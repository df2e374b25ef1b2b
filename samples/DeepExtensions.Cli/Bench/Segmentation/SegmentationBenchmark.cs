using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepExtensions.Cli.Commands;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;
using Microsoft.ML.OnnxRuntime;

namespace DeepExtensions.Cli.Bench.Segmentation;

/// <summary>
/// <c>deepext bench segmentation</c>: one fixed-size segmentation model and the same photos, in one process after a warm-up of
/// each path, timed round robin (the best of --repeats rounds kept): our transform (<c>LoadImages → SegmentImages</c>, class maps read from the column: decoding, resizing and
/// normalizing the photos, logits resized back to each photo and arg-maxed) against bare ONNX Runtime <c>Run</c> calls on
/// already-prepared input of the same batch size, the floor; then the peak memory of the transform over a short and a long
/// run of photos. Prints a table and, as the last stdout line, one JSON object.
/// </summary>
public static class SegmentationBenchmark
{
    private const string PhotoFolder = BenchAssets.PhotoFolder;

    public static int Run(SegmentationBenchOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        string modelPath = options.ModelPath ?? BenchAssets.GeneratedModel("lraspp_mobilenet_v3_large.onnx", Path.Combine("Bench", "Segmentation", "generate_lraspp_bench_model.py"), "Debian python3-torch, python3-torchvision", stderr);
        if (!File.Exists(modelPath))
            throw CliException.DataError($"--model '{modelPath}' does not exist");
        var photos = BenchAssets.Photos("segmentation");
        var ml = new MLContext(seed: 1);
        using var segmenter = SemanticSegmenter.Create(ml, new SemanticSegmenter.Options
        {
            ModelPath = modelPath,
            Kind = SemanticSegmentationKind.Lraspp,
            BatchSize = options.BatchSize,
            Device = ComputeDevice.Cpu,
        });
        if (segmenter.InputSize is not { } size)
            throw CliException.DataError($"bench segmentation needs a model with a fixed input size (batches of prepared input); '{modelPath}' takes any size");
        stderr.WriteLine($"bench: {Path.GetFileName(modelPath)} input {size.Width}x{size.Height}, {segmenter.ClassNames.Count} classes; {options.Images} images " +
                         $"({photos.Length} distinct photos from {PhotoFolder}); batch {options.BatchSize}; best of {options.Repeats}");
        IDataView Images(int count)
        {
            var rows = Enumerable.Range(0, count).Select(i => new ImagePath { Path = photos[i % photos.Length] }).ToArray();
            return ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImagePath.Path))
                .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImagePath>())).Transform(ml.Data.LoadFromEnumerable(rows));
        }

        var results = new Dictionary<string, (double Seconds, long PeakBytes)>();
        // Each path's measurements, timed round robin so that a change of load on a shared machine falls on every path alike;
        // the best of each is kept.
        void Measure(IReadOnlyList<(string Name, int Images, Func<long> Run)> paths, int repeats)
        {
            foreach (var path in paths)
            {
                path.Run(); // warm-up: JIT, ONNX Runtime's first-call allocations
                results[path.Name] = (double.MaxValue, 0L);
            }
            for (int r = 0; r < repeats; r++)
            {
                foreach (var (name, _, run) in paths)
                {
                    cancellation.ThrowIfCancellationRequested();
                    using var memory = MemoryProbe.Start();
                    var watch = Stopwatch.StartNew();
                    run();
                    watch.Stop();
                    if (watch.Elapsed.TotalSeconds < results[name].Seconds)
                        results[name] = (watch.Elapsed.TotalSeconds, memory.PeakBytes);
                }
            }
            foreach (var (name, images, _) in paths)
                stderr.WriteLine($"bench: {name}: {images / results[name].Seconds:F2} images/s, peak {results[name].PeakBytes / 1048576.0:F0} MB");
        }

        var data = Images(options.Images);
        using var bare = new BareOnnx(modelPath, size.Width, size.Height, options.BatchSize);
        string ours = "ours: LoadImages + SegmentImages (class map column)";
        string floor = $"bare ONNX Runtime Run on prepared input, batch {options.BatchSize}";
        string longName = $"ours over {options.LongRun} photos (memory)";
        var longData = Images(options.LongRun);
        // Memory first, our short and long runs back to back: the bare session's own memory, held once it has run, must not
        // count in the comparison of the two peaks. Then the timing, our transform and the floor round robin.
        Func<long> oursRun = () => ReadClassMaps(segmenter.Transform(data));
        Measure(new[] { (ours, options.Images, oursRun) }, 1);
        long shortPeak = results[ours].PeakBytes;
        Measure(new[] { (longName, options.LongRun, (Func<long>)(() => ReadClassMaps(segmenter.Transform(longData)))) }, 1);
        Measure(new[] { (ours, options.Images, oursRun), (floor, options.Images, () => bare.RunAll(options.Images, options.BatchSize)) }, options.Repeats);
        results[ours] = (results[ours].Seconds, shortPeak);
        var shortRun = results[ours];
        var longRun = results[longName];

        stdout.WriteLine($"{"path",-60} {"images/s",10} {"ms/image",10} {"peak MB",8}");
        foreach (var (name, m) in results)
        {
            int n = name == longName ? options.LongRun : options.Images;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-60} {n / m.Seconds,10:F2} {1000 * m.Seconds / n,10:F1} {m.PeakBytes / 1048576.0,8:F0}"));
        }
        double ratio = results[floor].Seconds / shortRun.Seconds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio ours / bare ONNX Runtime (images/s): {ratio:F2}; peak memory {options.Images} photos {shortRun.PeakBytes / 1048576.0:F0} MB, {options.LongRun} photos {longRun.PeakBytes / 1048576.0:F0} MB"));
        var json = new JsonObject
        {
            ["benchmark"] = "segmentation",
            ["model"] = Path.GetFileName(modelPath),
            ["images"] = options.Images,
            ["batchSize"] = options.BatchSize,
            ["imagesPerSecond"] = new JsonObject(results.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)Math.Round((r.Key == longName ? options.LongRun : options.Images) / r.Value.Seconds, 3)))),
            ["ratioToBareOnnxRuntime"] = Math.Round(ratio, 3),
            ["peakMegabytes"] = new JsonObject { ["short"] = Math.Round(shortRun.PeakBytes / 1048576.0), ["long"] = Math.Round(longRun.PeakBytes / 1048576.0), ["longImages"] = options.LongRun },
        };
        stdout.WriteLine(json.ToJsonString());
        return ExitCodes.Success;
    }

    /// <summary>Reads every row's class map, as a consumer of the column would; returns the pixels read.</summary>
    private static long ReadClassMaps(IDataView scored)
    {
        var column = scored.Schema[SemanticSegmenter.DefaultClassMapColumnName];
        using var cursor = scored.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<uint>>(column);
        VBuffer<uint> map = default;
        long pixels = 0;
        while (cursor.MoveNext())
        {
            get(ref map);
            pixels += map.Length;
        }
        return pixels;
    }

    private sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    /// <summary>ONNX Runtime alone on prepared (already normalized) input: the floor any wrapper can reach.</summary>
    private sealed class BareOnnx : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly float[] _input;
        private readonly string _inputName, _outputName;
        private readonly int _width, _height;

        public BareOnnx(string modelPath, int width, int height, int batch)
        {
            using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            _session = new InferenceSession(modelPath, sessionOptions);
            _inputName = _session.InputMetadata.Keys.First();
            _outputName = _session.OutputMetadata.Keys.Contains("out") ? "out" : _session.OutputMetadata.Keys.First();
            (_width, _height) = (width, height);
            _input = new float[batch * 3 * width * height];
            var random = new Random(1);
            for (int i = 0; i < _input.Length; i++)
                _input[i] = (float)(random.NextDouble() * 4 - 2); // normalized pixels: the values do not change the cost
        }

        public long RunAll(int images, int batch)
        {
            using var runOptions = new RunOptions();
            for (int start = 0; start < images; start += batch)
            {
                int n = Math.Min(batch, images - start);
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, n * 3 * _width * _height), new long[] { n, 3, _height, _width });
                using var outputs = _session.Run(runOptions, new[] { _inputName }, new[] { value }, new[] { _outputName });
            }
            return images;
        }

        public void Dispose() => _session.Dispose();
    }
}
