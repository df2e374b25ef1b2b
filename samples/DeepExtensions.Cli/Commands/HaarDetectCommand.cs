using System.Globalization;
using DeepExtensions.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using Microsoft.ML.Transforms.Image;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext detect --cascade FILE.xml</c>: finds objects with an OpenCV Haar cascade (through the
/// <c>DetectObjectsWithHaarCascade</c> ML.NET transform) in one image or every image of a folder, and writes
/// for each the image with its boxes drawn and a JSON file of the boxes. An image that cannot be read is
/// reported and skipped; the others are still written (exit code 1 then), as <c>detect --model</c> does.
/// </summary>
public static class HaarDetectCommand
{

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("cascade", "FILE.xml", "OpenCV Haar cascade (e.g. /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml).", Required: true),
        new("image", "FILE|DIR", "An image, or a folder whose images (png, jpg, bmp, gif, webp) are all searched.", Required: true),
        new("out", "DIR", "Folder for the drawn images and the JSON files (created if missing).", Required: true),
        new("scale-factor", "F", "Pyramid scale step, greater than 1 (default 1.1)."),
        new("min-neighbors", "N", "Raw hits a box needs beyond itself; 0 keeps every raw hit (default 3)."),
        new("min-size", "WxH", "Smallest object searched, e.g. 30x30 (default: no limit)."),
        new("max-size", "WxH", "Largest object searched (default: the image size)."),
        new("force", null, "Overwrite output files that exist."),
    };

    public const string Summary =
        "Finds objects with a Haar cascade (same boxes as OpenCV's detectMultiScale). For each image IMG writes\n" +
        "--out/IMG with the boxes drawn (PNG unless the input is JPEG) and --out/IMG.json with the boxes\n" +
        "(x0 y0 x1 y1), the class and the score (the number of raw hits merged into the box).";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("detect", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        bool force = arguments.Has("force");
        var options = new HaarCascadeDetectorOptions
        {
            CascadePath = arguments.Require("cascade"),
            ImageColumnName = "Image",
            ScaleFactor = ParseDouble(arguments.Get("scale-factor"), "--scale-factor", 1.1),
            MinNeighbors = ParseInt(arguments.Get("min-neighbors"), "--min-neighbors", 3),
            MinSize = ParseSize(arguments.Get("min-size"), "--min-size"),
            MaxSize = ParseSize(arguments.Get("max-size"), "--max-size"),
        };
        CheckOptions(options);
        if (!File.Exists(options.CascadePath))
            throw CliException.DataError($"--cascade '{options.CascadePath}' does not exist");

        string[] images = ImageFiles.Find(arguments.Require("image"), "--image");
        string outFolder = arguments.Require("out");
        var outputs = PerImageOutputs.Plan(images, outFolder, force);

        HaarCascadeDetector detector;
        try
        {
            detector = CreateDetector(options);
        }
        catch (InvalidDataException e)
        {
            throw CliException.DataError(e.Message);
        }
        OutputFile.CreateFolder(outFolder, "--out");
        int total = 0, failed = 0;
        foreach (var (imagePath, drawnPath, jsonPath) in outputs)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using var image = ImageFiles.TryRead(imagePath, context);
            if (image is null)
            {
                failed++;
                continue;
            }
            var detections = detector.Detect(image);
            using var drawn = DetectionDrawing.Draw(image, detections, detector.ClassNames);
            DetectionDrawing.Save(drawn, drawnPath, overwrite: force);
            DetectionJson.WriteFile(jsonPath, new ImageDetectionResult(Path.GetFileName(imagePath), image.Width, image.Height, detector.ClassNames, detections), overwrite: force);
            context.Out.WriteLine($"{imagePath}: {detections.Count} detection{(detections.Count == 1 ? "" : "s")} ({detector.ClassNames[0]})");
            total += detections.Count;
        }
        int read = images.Length - failed;
        context.Note($"{total} detections in {read} image{(read == 1 ? "" : "s")}; wrote drawn images and JSON to {outFolder}");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    private sealed class ImageRow
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }
    }

    // The transform is built the way a pipeline builds it: the estimator fitted on data with an image column.
    private static HaarCascadeDetector CreateDetector(HaarCascadeDetectorOptions options)
    {
        var ml = new MLContext(seed: 1);
        var schemaOnly = ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>());
        return ml.Transforms.DetectObjectsWithHaarCascade(options).Fit(schemaOnly);
    }

    private static void CheckOptions(HaarCascadeDetectorOptions options)
    {
        if (!(options.ScaleFactor > 1) || double.IsInfinity(options.ScaleFactor))
            throw CliException.UsageError($"--scale-factor must be a finite number greater than 1, got {options.ScaleFactor.ToString(CultureInfo.InvariantCulture)}");
        if (options.MinNeighbors < 0)
            throw CliException.UsageError($"--min-neighbors must be zero or positive, got {options.MinNeighbors}");
        var max = options.MaxSize;
        if (max.Width > 0 && max.Height > 0 && (options.MinSize.Width > max.Width || options.MinSize.Height > max.Height))
            throw CliException.UsageError($"--min-size {options.MinSize.Width}x{options.MinSize.Height} must not exceed --max-size {max.Width}x{max.Height}");
    }

    private static double ParseDouble(string? text, string option, double fallback) =>
        text is null ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value
        : throw CliException.UsageError($"{option} must be a number, got '{text}'");

    private static int ParseInt(string? text, string option, int fallback) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value
        : throw CliException.UsageError($"{option} must be an integer, got '{text}'");

    private static System.Drawing.Size ParseSize(string? text, string option)
    {
        if (text is null)
            return System.Drawing.Size.Empty;
        return SizeArgument.TryParse(text) is (int width, int height)
            ? new System.Drawing.Size(width, height)
            : throw CliException.UsageError($"{option} must be WIDTHxHEIGHT in pixels, e.g. 30x30, got '{text}'");
    }
}
