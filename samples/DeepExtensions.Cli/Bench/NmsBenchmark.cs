using System.Globalization;
using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench nms</c>: <see cref="NonMaxSuppression"/> against the per-box <c>.item()</c> greedy loop that
/// TorchVision .NET's <c>nms</c> uses, on the same clustered random boxes, in one run; checks that both keep
/// the same boxes and prints the times and their ratio.
/// </summary>
public static class NmsBenchmark
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("boxes", "N", "Boxes per run (default 5000)."),
        new("repeats", "N", "Timed runs of each side (default 5)."),
        new("iou", "T", "IoU threshold (default 0.5)."),
        new("device", "cpu|cuda", "Where the boxes live (default cpu)."),
    };

    public const string Summary = "Non-maximum suppression: DeepExtensions' NonMaxSuppression vs a per-box .item() greedy loop.";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        if (Arguments.ParseOrShowHelp("bench nms", args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        int count = MicroBenchmark.PositiveInt(arguments, "bench nms", "boxes", 5000);
        int repeats = MicroBenchmark.PositiveInt(arguments, "bench nms", "repeats", 5);
        double iou = double.TryParse(arguments.Get("iou") ?? "0.5", NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t is >= 0 and <= 1
            ? t : throw CliException.UsageError($"bench nms: --iou must be a number in [0, 1], got '{arguments.Get("iou")}'");
        TorchBackend.EnsureStarted();
        var device = MicroBenchmark.Device(arguments, "bench nms");

        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        int clusters = Math.Max(1, count / 10);
        var centers = torch.rand(clusters, 2) * 1000;
        var centersOfBoxes = centers.index_select(0, torch.randint(0, clusters, count)) + torch.randn(count, 2) * 8;
        var sizes = torch.rand(count, 2) * 40 + 20;
        var boxes = torch.cat(new[] { centersOfBoxes - sizes / 2, centersOfBoxes + sizes / 2 }, 1).to(device);
        var scores = torch.rand(count).to(device);

        var ours = NonMaxSuppression.Apply(boxes, scores, iou).cpu().data<long>().ToArray();
        var loop = ItemLoop(boxes, scores, iou);
        if (!ours.SequenceEqual(loop))
            throw new InvalidOperationException("The two NMS implementations kept different boxes.");
        double oursMs = MicroBenchmark.Time(repeats, device, () => NonMaxSuppression.Apply(boxes, scores, iou).Dispose());
        double loopMs = MicroBenchmark.Time(repeats, device, () => ItemLoop(boxes, scores, iou));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} boxes on {device}, {ours.Length} kept at IoU {iou}: NonMaxSuppression {oursMs:F1} ms, .item() loop {loopMs:F1} ms, ratio {loopMs / oursMs:F2}x"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"Benchmark\":\"nms\",\"Boxes\":{count},\"Kept\":{ours.Length},\"NonMaxSuppressionMs\":{oursMs:F2},\"ItemLoopMs\":{loopMs:F2},\"Ratio\":{loopMs / oursMs:F3}}}"));
        return ExitCodes.Success;
    }

    /// <summary>The baseline: take the best remaining box with <c>.item()</c>, drop what overlaps it, repeat.</summary>
    private static long[] ItemLoop(Tensor boxes, Tensor scores, double iou)
    {
        using var scope = torch.NewDisposeScope();
        var (_, remaining) = scores.sort(0, descending: true, stable: true);
        var kept = new List<long>();
        while (remaining.shape[0] > 0)
        {
            long best = remaining[0].item<long>();
            kept.Add(best);
            var rest = remaining.narrow(0, 1, remaining.shape[0] - 1);
            if (rest.shape[0] == 0)
                break;
            var overlaps = BoxIou.Pairwise(boxes[best].unsqueeze(0), boxes.index_select(0, rest)).squeeze(0);
            remaining = rest.masked_select(overlaps <= iou);
        }
        return kept.ToArray();
    }
}
