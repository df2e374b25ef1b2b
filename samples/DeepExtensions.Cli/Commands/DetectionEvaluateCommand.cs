using DeepExtensions.Cli.Output;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext evaluate --task detection|segmentation</c>: COCO detection metrics (boxes) or instance segmentation
/// metrics (masks, pycocotools' <c>iouType="segm"</c>), and PASCAL VOC AP@0.5, of a COCO results file against a COCO
/// instances file. Prints a human summary, then the metrics as one JSON line, last on stdout.
/// </summary>
public static class DetectionEvaluateCommand
{
    public const string Task = "detection";

    /// <summary>The same metrics over masks.</summary>
    public const string SegmentationTask = "segmentation";

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", "detection|segmentation", "Box metrics (detection) or mask metrics (segmentation).", Required: true),
        new("ground-truth", "FILE", "COCO instances JSON: images (with width and height for polygons), annotations (bbox x y w h, area, iscrowd, category_id; segmentation as polygons or RLE for --task segmentation), categories.", Required: true),
        new("predictions", "FILE", "COCO results JSON: a list of {image_id, category_id, bbox [x, y, w, h], score} (segmentation: with \"segmentation\": RLE {size, counts}).", Required: true),
    };

    public const string Summary =
        "Computes COCO's bounding-box (--task detection) or mask (--task segmentation) metrics as pycocotools'\n" +
        "COCOeval does for iouType bbox or segm (AP@[.50:.95], AP50, AP75, APs/m/l,\n" +
        "AR1/10/100, ARs/m/l; -1 when undefined), AP per class and PASCAL VOC AP@0.5. Prints a summary, then one\n" +
        "JSON line (last on stdout) with keys AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl,\n" +
        "PerClassAP and VocAP50.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("evaluate", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string task = arguments.Require("task");
        if (task is not (Task or SegmentationTask))
            throw CliException.UsageError($"evaluate: --task must be '{Task}' or '{SegmentationTask}' here, got '{task}'");
        var iouType = task == SegmentationTask ? CocoIouType.Segmentation : CocoIouType.BoundingBox;

        var groundTruth = Read("--ground-truth", arguments.Require("ground-truth"), CocoJson.ReadGroundTruth);
        var predictions = Read("--predictions", arguments.Require("predictions"), CocoJson.ReadResults);
        DetectionMetrics metrics;
        try
        {
            metrics = CocoEvaluation.Evaluate(groundTruth, predictions, iouType);
        }
        catch (InvalidDataException e)
        {
            throw CliException.DataError($"--predictions {arguments.Require("predictions")} does not fit --ground-truth: {Messages.OneLine(e)}");
        }
        context.Out.WriteLine(DetectionMetricsJson.Summary(metrics));
        context.Out.WriteLine(DetectionMetricsJson.Format(metrics));
        return ExitCodes.Success;
    }

    private static T Read<T>(string option, string path, Func<string, T> read)
    {
        try
        {
            return read(path);
        }
        catch (FileNotFoundException)
        {
            throw CliException.DataError($"{option} {path}: file not found");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw CliException.DataError($"{option}: {Messages.OneLine(e)}");
        }
    }
}
