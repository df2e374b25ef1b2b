using DeepExtensions.Cli.Output;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext evaluate --task semantic-segmentation --ground-truth DIR --predictions DIR</c>: pixel accuracy, mean IoU and
/// per-class IoU of predicted class maps (e.g. <c>deepext segment</c>'s NAME.classes.png) against label images of the same
/// names (greyscale values = class indices, or PASCAL VOC palette PNGs). Prints a summary, then one JSON line.
/// </summary>
public static class SemanticSegmentationEvaluateCommand
{
    public const string Task = "semantic-segmentation";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", Task, "Selects semantic segmentation metrics.", Required: true),
        new("ground-truth", "DIR", "Label images (PNG): pixel value = class index (or the PASCAL VOC palette).", Required: true),
        new("predictions", "DIR", "Class maps of the same names (NAME.png or NAME.classes.png, as 'deepext segment' writes).", Required: true),
        new("classes", "FILE", "Class names, one per line (default: class indices 0 .. the largest found)."),
        new("ignore-label", "N", "Label value not counted (default: 255; 'none' counts every pixel)."),
    };

    public const string Summary =
        "Computes pixel accuracy, mean IoU, mean class accuracy and IoU per class of predicted class maps against label\n" +
        "images, as torchvision's segmentation references do (confusion matrix over the pixels whose label is not the\n" +
        "ignore label). Prints a summary, then one JSON line (last on stdout) with keys PixelAccuracy, MeanIoU,\n" +
        "MeanAccuracy, PerClassIoU (-1 for a class in neither) and Pixels.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("evaluate", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string truthDir = arguments.Require("ground-truth"), predictedDir = arguments.Require("predictions");
        foreach (var (option, dir) in new[] { ("--ground-truth", truthDir), ("--predictions", predictedDir) })
        {
            if (!Directory.Exists(dir))
                throw CliException.DataError($"{option} '{dir}' is not a folder");
        }
        int? ignore = arguments.Get("ignore-label") switch
        {
            null => 255,
            "none" => null,
            var text when int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= 0 => value,
            var text => throw CliException.UsageError($"evaluate: --ignore-label must be a label value (0 or more) or 'none', got '{text}'"),
        };
        string? classesFile = arguments.Get("classes");
        if (classesFile is not null && !File.Exists(classesFile))
            throw CliException.DataError($"--classes '{classesFile}' does not exist");

        var pairs = new List<(string Truth, string Predicted)>();
        foreach (var truth in Directory.EnumerateFiles(truthDir, "*.png").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(truth);
            string? predicted = new[] { name + ".classes.png", name + ".png" }.Select(f => Path.Combine(predictedDir, f)).FirstOrDefault(File.Exists)
                ?? throw CliException.DataError($"--predictions '{predictedDir}' has no class map for '{Path.GetFileName(truth)}' (looked for {name}.classes.png and {name}.png)");
            pairs.Add((truth, predicted));
        }
        if (pairs.Count == 0)
            throw CliException.DataError($"--ground-truth '{truthDir}' has no PNG label images");

        var maps = pairs.Select(p => (Truth: Read(p.Truth, "--ground-truth"), Predicted: Read(p.Predicted, "--predictions"), p)).ToList();
        string[] names = classesFile is not null
            ? File.ReadAllLines(classesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : Enumerable.Range(0, maps.SelectMany(m => m.Predicted.Labels.Concat(m.Truth.Labels.Where(l => l != ignore))).DefaultIfEmpty(0).Max() + 1)
                .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var evaluator = new SemanticSegmentationEvaluator(names, ignore);
        foreach (var (truth, predicted, pair) in maps)
        {
            if (truth.Width != predicted.Width || truth.Height != predicted.Height)
                throw CliException.DataError($"'{pair.Predicted}' is {predicted.Width}x{predicted.Height} but its labels '{pair.Truth}' are {truth.Width}x{truth.Height}");
            try
            {
                evaluator.Add(truth.Labels, predicted.Labels, Path.GetFileName(pair.Truth));
            }
            catch (InvalidDataException e)
            {
                throw CliException.DataError(Messages.OneLine(e) + (classesFile is null ? "" : $" (--classes lists {names.Length})"));
            }
        }
        var metrics = evaluator.Metrics();
        context.Out.Write(metrics.ToSummary());
        context.Out.WriteLine(SegmentationMetricsJson.Format(metrics, Task, maps.Count));
        return ExitCodes.Success;
    }

    private static (int[] Labels, int Width, int Height) Read(string path, string option)
    {
        try
        {
            var labels = SegmentationDrawing.ReadLabels(path, out int width, out int height);
            return (labels, width, height);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw CliException.DataError($"{option}: {Messages.OneLine(e)}");
        }
    }
}
