using System.Globalization;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext summary</c>: prints an image architecture's layers, output shapes and parameter counts
/// for an input shape and class count, as Keras' <c>model.summary()</c>, without building the network.
/// </summary>
public static class SummaryCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("arch", "NAME", $"Image architecture: {string.Join(", ", ImageArchitectures.Names)}.", Required: true),
        new("input", "CxHxW", "Shape of one input image: channels x height x width, e.g. 3x224x224 or 1x28x28.", Required: true),
        new("classes", "N", "Number of classes (at least 2).", Required: true),
        new("time-batch", "N", "Also build the network and time forward+backward on a batch of N random images (CPU)."),
    };

    public const string Summary =
        "Prints the layers of an image classification network with their output shapes (per image) and\n" +
        "parameter counts, then the totals and the multiply-adds per image. Blocks (residual, inception)\n" +
        "show as one row each. An input too small for a layer is refused, naming the layer.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("summary", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;

        var inputShape = ParseShape(arguments.Require("input"));
        int classes = ParseClasses(arguments.Require("classes"));
        int? timeBatch = arguments.Get("time-batch") is { } batchText ? ParseTimeBatch(batchText) : null;
        ImageNetwork network;
        try
        {
            network = new ImageNetwork(ImageArchitectures.Get(arguments.Require("arch")), inputShape, classes);
        }
        catch (ArgumentException e)
        {
            // Unknown names list the valid ones; too-small inputs name the layer: both are the user's options.
            throw CliException.UsageError($"summary: {Messages.OneLine(e)}");
        }

        context.Out.WriteLine($"{network.Architecture.Name}: {ImageShapeText(inputShape)} input, {classes} classes");
        context.Out.WriteLine(network.Summary().ToString());
        if (network.Architecture is LayeredArchitecture layered)
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Multiply-adds per image: {layered.MultiplyAdds(inputShape, classes):N0}"));
        if (timeBatch is { } batch)
            context.Out.WriteLine(TrainingStepTimer.Measure(network, batch, context.CancellationToken).ToString());
        return ExitCodes.Success;
    }

    /// <summary><c>3x224x224</c> (also <c>3×224×224</c> or <c>3,224,224</c>) as [C, H, W].</summary>
    internal static long[] ParseShape(string text)
    {
        var parts = text.Split('x', 'X', '×', ',');
        var shape = new long[parts.Length];
        bool valid = parts.Length == 3;
        for (int i = 0; valid && i < parts.Length; i++)
            valid = long.TryParse(parts[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) && shape[i] > 0;
        return valid
            ? shape
            : throw CliException.UsageError($"summary: --input '{text}' is not valid: expected CxHxW with three positive integers, e.g. 3x224x224");
    }

    private static int ParseClasses(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int classes) && classes >= 2
            ? classes
            : throw CliException.UsageError($"summary: --classes '{text}' is not valid: expected an integer of at least 2");

    private static int ParseTimeBatch(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int batch) && batch >= 1
            ? batch
            : throw CliException.UsageError($"summary: --time-batch '{text}' is not valid: expected a positive integer");

    private static string ImageShapeText(long[] shape) => string.Join("×", shape);
}
