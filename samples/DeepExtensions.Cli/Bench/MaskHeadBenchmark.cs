using System.Globalization;
using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// <c>deepext bench mask-head</c>: the project's Mask R-CNN mask head (<see cref="MaskRcnnHeads"/>, four 3x3
/// convolutions of 256 channels, and <see cref="MaskRcnnPredictor"/>, the 2x2 transposed convolution and the 1x1
/// predictor) over N RoIs' 14x14 features, forward and forward + backward. It is most of a Mask R-CNN training step on
/// a CPU; <c>samples/data/detection/mask_head_speed.py</c> times the same layers in Debian's PyTorch, so the two
/// print comparable lines.
/// </summary>
public static class MaskHeadBenchmark
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("rois", "N", "RoIs per pass (default 64)."),
        new("part", "all|conv|deconv", "The whole head, its four convolutions, or the predictor (default all)."),
        new("repeats", "N", "Timed runs of each pass (default 3)."),
        new("device", "cpu|cuda", "Where the head runs (default cpu)."),
    };

    public const string Summary = "Mask R-CNN's mask head (4 convolutions, deconvolution, predictor) over N RoIs, forward and backward.";

    private const string Command = "bench mask-head";

    /// <summary>Classes of the predictor, background included (the detection sample's ten and the background).</summary>
    private const int Classes = 11;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        if (Arguments.ParseOrShowHelp(Command, args, Options, Summary, stdout) is not { } arguments)
            return ExitCodes.Success;
        int rois = MicroBenchmark.PositiveInt(arguments, Command, "rois", 64);
        int repeats = MicroBenchmark.PositiveInt(arguments, Command, "repeats", 3);
        string part = arguments.Get("part") ?? "all";
        if (part is not ("all" or "conv" or "deconv"))
            throw CliException.UsageError($"{Command}: --part must be all, conv or deconv, got '{part}'");
        TorchBackend.EnsureStarted();
        var device = MicroBenchmark.Device(arguments, Command);

        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(1);
        var settings = new MaskHeadSettings();
        using var head = new MaskRcnnHeads(256, settings.Layers, settings.Dilation, device);
        using var predictor = new MaskRcnnPredictor(head.OutChannels, settings.PredictorChannels, Classes, device);
        var features = torch.randn(rois, 256, settings.PooledSize, settings.PooledSize).to(device);
        Tensor Forward(Tensor x) => part switch
        {
            "conv" => head.forward(x),
            "deconv" => predictor.forward(x),
            _ => predictor.forward(head.forward(x)),
        };
        Action Step(bool backward) => () =>
        {
            using var step = torch.NewDisposeScope();
            if (backward)
            {
                Forward(features.detach().requires_grad_(true)).square().mean().backward();
                head.zero_grad();
                predictor.zero_grad();
            }
            else
            {
                using var noGrad = torch.no_grad();
                Forward(features);
            }
        };

        var ms = MicroBenchmark.TimeInterleaved(repeats, device, Step(false), Step(true));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TorchSharp mask head ({part}) {rois} RoIs, {torch.get_num_threads()} thread(s), {device}: forward {ms[0]:F0} ms, forward+backward {ms[1]:F0} ms (median of {repeats})"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"Benchmark\":\"mask-head\",\"Part\":\"{part}\",\"Rois\":{rois},\"Threads\":{torch.get_num_threads()},\"Device\":\"{device.type}\",\"ForwardMs\":{ms[0]:F2},\"ForwardBackwardMs\":{ms[1]:F2}}}"));
        return ExitCodes.Success;
    }
}
