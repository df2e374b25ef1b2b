using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepExtensions.Cli.Commands;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using SkiaSharp;

namespace DeepExtensions.Cli.Bench.Proposals;

/// <summary>
/// <c>deepext bench selective-search</c>: our <see cref="SelectiveSearch"/> against OpenCV's
/// <c>SelectiveSearchSegmentation</c> (Debian's python3-opencv, through <c>opencv_selective_search.py</c> beside this
/// file), both on one core, on the same BGR pixels, alternating round by round; prints each image's median times, the
/// ratio, and whether the proposal lists are identical (OpenCV is run after <c>srand(1)</c>). Wall time and CPU time
/// (of the whole process on each side) are both reported: on a shared, loaded machine the CPU time is the fairer one.
/// </summary>
public static class SelectiveSearchBenchmark
{
    private const string Script = "Bench/Proposals/opencv_selective_search.py";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("images", "FILE|DIR", "Photos to search (default: the first 6 photos of Debian's opencv-doc)."),
        new("max-side", "N", "Shrink each photo so its longer side is at most N pixels; 0 keeps the size (default 200, the height OpenCV's sample uses)."),
        new("mode", "fast|quality|single", "Selective search mode (default fast)."),
        new("repeats", "N", "Rounds; each round times every image once on each side (default 3)."),
    };

    public const string Summary = "Selective search: ours vs OpenCV's (python3-opencv), one core each, same pixels, side by side.";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (Arguments.ParseOrShowHelp("bench selective-search", args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        int repeats = MicroBenchmark.PositiveInt(arguments, "bench selective-search", "repeats", 3);
        int maxSide = arguments.Get("max-side") is { } side
            ? int.TryParse(side, NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : throw CliException.UsageError($"bench selective-search: --max-side must be zero or a positive integer, got '{side}'")
            : 200;
        var mode = ProposeCommand.ParseMode(arguments.Get("mode"), "bench selective-search: ");
        string script = Path.Combine(AppContext.BaseDirectory, Script);
        if (!File.Exists(script))
            throw CliException.DataError($"OpenCV's side of the benchmark, '{script}', is missing");
        if (!File.Exists("/usr/bin/python3"))
            throw CliException.DataError("bench selective-search needs Debian's /usr/bin/python3 with python3-opencv (apt-get install python3-opencv)");
        string[] paths = arguments.Get("images") is { } images ? ImageFiles.Find(images, "--images") : BenchAssets.Photos("selective-search").Take(6).ToArray();

        string folder = Path.Combine(Path.GetTempPath(), "deepext-bench-selective-search-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var inputs = paths.Select((path, i) => Prepare(path, maxSide, Path.Combine(folder, $"{i}.bgr"))).ToArray();
            var search = new SelectiveSearch(new SelectiveSearchOptions { Mode = mode, MaxProposals = 0, MaxDegreeOfParallelism = 1 });
            search.Propose(inputs[0].Bgr, inputs[0].Width, inputs[0].Height); // warm-up (JIT)
            var ours = inputs.Select(_ => new List<double>()).ToArray();
            var theirs = inputs.Select(_ => new List<double>()).ToArray();
            var oursCpu = inputs.Select(_ => new List<double>()).ToArray();
            var theirsCpu = inputs.Select(_ => new List<double>()).ToArray();
            using var process = Process.GetCurrentProcess();
            var digests = new string[inputs.Length];
            var counts = new int[inputs.Length];
            JsonElement opencv = default;
            for (int round = 0; round < repeats; round++)
            {
                for (int i = 0; i < inputs.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    var watch = Stopwatch.StartNew();
                    var boxes = search.Propose(inputs[i].Bgr, inputs[i].Width, inputs[i].Height);
                    ours[i].Add(watch.Elapsed.TotalSeconds);
                    process.Refresh();
                    oursCpu[i].Add((process.TotalProcessorTime - cpu).TotalSeconds);
                    digests[i] = Digest(boxes);
                    counts[i] = boxes.Length;
                }
                opencv = RunOpenCV(script, mode, inputs);
                for (int i = 0; i < inputs.Length; i++)
                {
                    theirs[i].Add(opencv.GetProperty("seconds")[i].GetDouble());
                    theirsCpu[i].Add(opencv.GetProperty("cpu_seconds")[i].GetDouble());
                }
                stderr.WriteLine($"bench selective-search: round {round + 1}/{repeats} done");
            }

            stdout.WriteLine($"Selective search ({mode.ToString().ToLowerInvariant()} mode), one core each, median of {repeats} round{(repeats == 1 ? "" : "s")}; OpenCV {opencv.GetProperty("opencv").GetString()}");
            stdout.WriteLine($"{"image",-28} {"size",9} {"proposals",9} {"ours ms",9} {"OpenCV ms",9} {"ratio",6} {"ours CPU",9} {"OpenCV CPU",10} {"ratio",6}  identical");
            double oursTotal = 0, theirsTotal = 0, oursCpuTotal = 0, theirsCpuTotal = 0;
            int identical = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                double o = Median(ours[i]) * 1000, t = Median(theirs[i]) * 1000;
                double oc = Median(oursCpu[i]) * 1000, tc = Median(theirsCpu[i]) * 1000;
                oursTotal += o;
                theirsTotal += t;
                oursCpuTotal += oc;
                theirsCpuTotal += tc;
                bool same = digests[i] == opencv.GetProperty("digests")[i].GetString();
                identical += same ? 1 : 0;
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(paths[i]),-28} {inputs[i].Width + "x" + inputs[i].Height,9} {counts[i],9} {o,9:F1} {t,9:F1} {o / t,6:F2} {oc,9:F1} {tc,10:F1} {oc / tc,6:F2}  {(same ? "yes" : $"no ({opencv.GetProperty("counts")[i].GetInt32()} from OpenCV)")}"));
            }
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"total",-28} {"",9} {"",9} {oursTotal,9:F1} {theirsTotal,9:F1} {oursTotal / theirsTotal,6:F2} {oursCpuTotal,9:F1} {theirsCpuTotal,10:F1} {oursCpuTotal / theirsCpuTotal,6:F2}  {identical}/{inputs.Length} lists identical"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"Benchmark\":\"selective-search\",\"Mode\":\"{mode.ToString().ToLowerInvariant()}\",\"Images\":{inputs.Length},\"OursMs\":{oursTotal:F1},\"OpenCVMs\":{theirsTotal:F1},\"Ratio\":{oursTotal / theirsTotal:F3},\"OursCpuMs\":{oursCpuTotal:F1},\"OpenCVCpuMs\":{theirsCpuTotal:F1},\"CpuRatio\":{oursCpuTotal / theirsCpuTotal:F3},\"IdenticalLists\":{identical}}}"));
            return ExitCodes.Success;
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The photo's BGR bytes (shrunk to <paramref name="maxSide"/>), also written raw to <paramref name="rawPath"/> for OpenCV.</summary>
    private static (byte[] Bgr, int Width, int Height, string Path) Prepare(string path, int maxSide, string rawPath)
    {
        using var loaded = ImageFiles.Read(path, "--images");
        var image = loaded;
        MLImage? shrunk = null;
        double scale = maxSide == 0 ? 1 : (double)maxSide / Math.Max(loaded.Width, loaded.Height);
        if (scale < 1)
        {
            int width = Math.Max(1, (int)Math.Round(loaded.Width * scale)), height = Math.Max(1, (int)Math.Round(loaded.Height * scale));
            using var bitmap = SkiaImages.ToBitmap(loaded);
            using var resized = bitmap.Resize(new SKImageInfo(width, height, bitmap.ColorType, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            image = shrunk = SkiaImages.ToMLImage(resized);
        }
        using (shrunk)
        {
            var bgr = ProposalImage.ToBgr(image, "image");
            File.WriteAllBytes(rawPath, bgr);
            return (bgr, image.Width, image.Height, rawPath);
        }
    }

    private static JsonElement RunOpenCV(string script, SelectiveSearchMode mode, (byte[] Bgr, int Width, int Height, string Path)[] inputs)
    {
        var arguments = new List<string> { script, mode.ToString().ToLowerInvariant(), "1" };
        arguments.AddRange(inputs.Select(i => $"{i.Path}:{i.Width}:{i.Height}"));
        var start = new ProcessStartInfo("/usr/bin/python3", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw CliException.DataError("could not start /usr/bin/python3");
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw CliException.DataError($"OpenCV's side failed (exit {process.ExitCode}; is python3-opencv installed?): {errors.Result.Split('\n').LastOrDefault(l => l.Length > 0)}");
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static string Digest(System.Drawing.Rectangle[] boxes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(" ", boxes.Select(b => $"{b.X},{b.Y},{b.Width},{b.Height}")))));

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
