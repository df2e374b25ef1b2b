using System.Globalization;
using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench roi-align</c>: <see cref="RoIAlign"/> over all RoIs at once against a per-box loop that sends each
/// RoI alone through the same computation (without the argument checks and with the channels-last pixel table made
/// once, so the loop pays only for being a loop), on the same features and boxes, forward and forward + backward,
/// in one run, the four runs taking turns within each repeat; checks that outputs and feature gradients agree and
/// prints the median times and their ratios.
/// </summary>
public static class RoIAlignBenchmark
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("rois", "N", "RoIs per run (default 512)."),
        new("images", "N", "Images in the feature batch (default 2)."),
        new("channels", "N", "Feature channels (default 256)."),
        new("map-size", "N", "Feature map height and width (default 50)."),
        new("output", "N", "Output bins per side (default 7)."),
        new("sampling", "N", "Sampling ratio (default 2)."),
        new("repeats", "N", "Timed runs of each side (default 5)."),
        new("device", "cpu|cuda", "Where the features live (default cpu)."),
    };

    public const string Summary = "RoIAlign: DeepExtensions' vectorized RoIAlign vs a per-box loop over the same computation, forward and backward.";

    private const string Command = "bench roi-align";

    /// <summary>Feature-map stride of the benchmark's boxes (as the stride-16 map of a Faster R-CNN backbone).</summary>
    private const int Stride = 16;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        if (Arguments.ParseOrShowHelp(Command, args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        int roiCount = MicroBenchmark.PositiveInt(arguments, Command, "rois", 512);
        int images = MicroBenchmark.PositiveInt(arguments, Command, "images", 2);
        int channels = MicroBenchmark.PositiveInt(arguments, Command, "channels", 256);
        int mapSize = MicroBenchmark.PositiveInt(arguments, Command, "map-size", 50);
        int output = MicroBenchmark.PositiveInt(arguments, Command, "output", 7);
        int sampling = MicroBenchmark.PositiveInt(arguments, Command, "sampling", 2);
        int repeats = MicroBenchmark.PositiveInt(arguments, Command, "repeats", 5);
        TorchBackend.EnsureStarted();
        var device = MicroBenchmark.Device(arguments, Command);

        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        var features = torch.randn(images, channels, mapSize, mapSize).to(device);
        // Boxes of 16 to 400 pixels anywhere on the 800-pixel image behind a 50-cell stride-16 map.
        double imageSize = mapSize * Stride;
        var corners = torch.rand(roiCount, 2) * (imageSize * 0.9);
        var sizes = torch.rand(roiCount, 2) * (imageSize / 2 - Stride) + Stride;
        var batch = torch.randint(0, images, new long[] { roiCount, 1 }).to(ScalarType.Float32);
        var rois = torch.cat(new[] { batch, corners, corners + sizes }, 1).to(device);
        var weights = torch.randn(roiCount, channels, output, output).to(device);
        var size = (output, output);
        double scale = 1.0 / Stride;

        Tensor Vectorized(Tensor f) => RoIAlign.Apply(f, rois, size, scale, sampling);
        Tensor PerBox(Tensor f)
        {
            var pixelRows = RoIGather.PixelRows(f);
            return torch.cat(Enumerable.Range(0, roiCount)
                .Select(k => RoIAlign.Compute(f, rois.narrow(0, k, 1), size, scale, sampling, aligned: false, pixelRows: pixelRows)).ToArray(), 0);
        }
        Tensor Gradient(Func<Tensor, Tensor> pool)
        {
            var leaf = features.detach().requires_grad_(true);
            (pool(leaf) * weights).sum().backward();
            return leaf.grad!;
        }

        var (vectorizedOut, perBoxOut) = (Vectorized(features), PerBox(features));
        if (!torch.allclose(vectorizedOut, perBoxOut, rtol: 1e-4, atol: 1e-5))
            throw new InvalidOperationException("Vectorized and per-box RoIAlign disagree on the forward pass.");
        if (!torch.allclose(Gradient(Vectorized), Gradient(PerBox), rtol: 1e-4, atol: 1e-5))
            throw new InvalidOperationException("Vectorized and per-box RoIAlign disagree on the feature gradients.");

        // All four runs take turns within each repeat, so that every side sees the same process state and load.
        var ms = MicroBenchmark.TimeInterleaved(repeats, device,
            Step(Vectorized, features, null), Step(PerBox, features, null), Step(Vectorized, features, weights), Step(PerBox, features, weights));
        var forward = new Timing(ms[0], ms[1]);
        var both = new Timing(ms[2], ms[3]);
        string what = string.Create(CultureInfo.InvariantCulture,
            $"{roiCount} RoIs on [{images}, {channels}, {mapSize}, {mapSize}] ({device}), {output}x{output} bins, sampling {sampling}, scale 1/{Stride}");
        stdout.WriteLine(what);
        stdout.WriteLine(Line("forward", forward));
        stdout.WriteLine(Line("forward+backward", both));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"Benchmark\":\"roi-align\",\"Rois\":{roiCount},\"Images\":{images},\"Channels\":{channels},\"MapSize\":{mapSize},\"Output\":{output},\"Sampling\":{sampling},\"Device\":\"{device.type}\"," +
            $"\"ForwardMs\":{forward.VectorizedMs:F2},\"ForwardPerBoxMs\":{forward.PerBoxMs:F2},\"ForwardRatio\":{forward.PerBoxMs / forward.VectorizedMs:F3}," +
            $"\"ForwardBackwardMs\":{both.VectorizedMs:F2},\"ForwardBackwardPerBoxMs\":{both.PerBoxMs:F2},\"ForwardBackwardRatio\":{both.PerBoxMs / both.VectorizedMs:F3}}}"));
        return ExitCodes.Success;
    }

    private readonly record struct Timing(double VectorizedMs, double PerBoxMs);

    /// <summary>One timed step: pool (forward only), or pool and back-propagate the weighted sum when <paramref name="backward"/> is given.</summary>
    private static Action Step(Func<Tensor, Tensor> pool, Tensor features, Tensor? backward) => () =>
    {
        using var step = torch.NewDisposeScope();
        var leaf = backward is null ? features : features.detach().requires_grad_(true);
        var pooled = pool(leaf);
        if (backward is not null)
            (pooled * backward).sum().backward();
    };

    private static string Line(string pass, Timing t) => string.Create(CultureInfo.InvariantCulture,
        $"  {pass,-17} vectorized {t.VectorizedMs,8:F1} ms, per-box loop {t.PerBoxMs,8:F1} ms, ratio {t.PerBoxMs / t.VectorizedMs:F2}x");
}
