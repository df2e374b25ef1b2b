using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Drawing;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext segment --model FILE.onnx --kind deeplabv3|fcn|lraspp --image FILE|DIR --out DIR</c>: labels every pixel with a
/// torchvision semantic segmentation model exported to ONNX; writes each image's class map (<c>DIR/NAME.classes.png</c>, 8-bit,
/// pixel value = class index) and a translucent overlay with a legend (<c>DIR/NAME.png</c>). An image that cannot be decoded
/// is reported and skipped (exit code 1 then).
/// </summary>
public static class SegmentCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE.onnx", "The ONNX model (torchvision FCN, DeepLabV3 or LRASPP with an 'out' output).", Required: true),
        new("kind", "KIND", "deeplabv3, fcn or lraspp.", Required: true),
        new("image", "FILE|DIR", "An image, or a folder of images.", Required: true),
        new("out", "DIR", "Folder for the class maps and overlays (created if missing).", Required: true),
        new("classes", "FILE", "Class names, one per line (default: the model's metadata, or PASCAL VOC's 21 classes for a 21-class model)."),
        new("device", "DEVICE", "auto, cpu or cuda (default: auto)."),
        new("force", null, "Overwrite existing output files."),
    };

    public const string Summary =
        "Labels every pixel of images with a semantic segmentation model and writes, per image, the class map as an 8-bit PNG\n" +
        "(NAME.classes.png, pixel value = class index) and a colour overlay with a legend (NAME.png) to --out.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("segment", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string modelPath = arguments.Require("model");
        if (!File.Exists(modelPath))
            throw CliException.DataError($"--model '{modelPath}' does not exist");
        var kind = arguments.Require("kind").ToLowerInvariant() switch
        {
            "deeplabv3" => SemanticSegmentationKind.DeepLabV3,
            "fcn" => SemanticSegmentationKind.Fcn,
            "lraspp" => SemanticSegmentationKind.Lraspp,
            var other => throw CliException.UsageError($"segment: --kind must be deeplabv3, fcn or lraspp, got '{other}'"),
        };
        var device = DeviceArgument.Parse(arguments, "segment");
        string? classes = arguments.Get("classes");
        if (classes is not null && !File.Exists(classes))
            throw CliException.DataError($"--classes '{classes}' does not exist");
        var images = ImageFiles.Find(arguments.Require("image"), "--image");
        string outDir = arguments.Require("out");
        bool force = arguments.Has("force");
        var names = images.Select(Path.GetFileNameWithoutExtension).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw CliException.UsageError("segment: two images have the same name without extension; their outputs would collide");
        if (!force)
        {
            foreach (var path in names.SelectMany(n => new[] { Path.Combine(outDir, n + ".png"), Path.Combine(outDir, n + ".classes.png") }).Where(File.Exists))
                throw CliException.UsageError($"segment: '{path}' already exists (pass --force to overwrite it)");
        }

        var ml = new MLContext(seed: 1);
        SemanticSegmenter segmenter;
        try
        {
            segmenter = SemanticSegmenter.Create(ml, new SemanticSegmenter.Options { ModelPath = modelPath, Kind = kind, ClassNamesFile = classes, Device = device });
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or FileNotFoundException)
        {
            throw CliException.DataError(Messages.OneLine(e).Replace("give them with ClassNames or ClassNamesFile", "give them with --classes FILE", StringComparison.Ordinal));
        }
        using var release = segmenter;
        Directory.CreateDirectory(outDir);
        context.Note($"{Path.GetFileName(modelPath)}: {kind} on {segmenter.Device}, {segmenter.ClassNames.Count} classes, {images.Length} image(s)");
        int failed = 0;
        for (int i = 0; i < images.Length; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            MLImage image;
            try
            {
                image = MLImage.CreateFromFile(images[i]);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                context.Note($"error: cannot decode image '{images[i]}': {Messages.OneLine(e)}; skipped");
                failed++;
                continue;
            }
            using (image)
            {
                var map = segmenter.Segment(image);
                SegmentationDrawing.SaveClassMap(map, Path.Combine(outDir, names[i] + ".classes.png"), overwrite: force);
                using var overlay = SegmentationDrawing.Draw(image, map, segmenter.ClassNames);
                DetectionDrawing.Save(overlay, Path.Combine(outDir, names[i] + ".png"), overwrite: force);
                context.Out.WriteLine($"{images[i]}: {Describe(map, segmenter.ClassNames)}");
            }
        }
        context.Note($"wrote {images.Length - failed} class map(s) and overlay(s) to {outDir}");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    /// <summary>The classes present and their share of the pixels, largest first.</summary>
    private static string Describe(ClassMap map, IReadOnlyList<string> names)
    {
        var counts = new long[map.ClassCount];
        foreach (int c in map.Classes.Span)
            counts[c]++;
        var text = new StringBuilder($"{map.Width}x{map.Height}:");
        foreach (int c in Enumerable.Range(0, counts.Length).Where(c => counts[c] > 0).OrderByDescending(c => counts[c]))
            text.Append(CultureInfo.InvariantCulture, $" {names[c]} {100.0 * counts[c] / map.Classes.Length:0.0}%");
        return text.ToString();
    }
}
