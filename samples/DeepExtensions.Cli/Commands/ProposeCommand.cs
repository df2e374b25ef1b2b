using System.Globalization;
using System.Text.Json;
using DeepExtensions.Cli.Output;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.DeepExtensions.Vision.Drawing;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext propose</c>: selective search region proposals (OpenCV's algorithm and results) for one image or every
/// image of a folder; writes for each the proposals as JSON and the image with the first proposals drawn. An image that
/// cannot be read is reported and skipped (exit code 1 then), as <c>detect</c> does.
/// </summary>
public static class ProposeCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("image", "FILE|DIR", "An image, or a folder whose images (png, jpg, bmp, gif, webp) are all searched.", Required: true),
        new("out", "DIR", "Folder for the JSON files and the drawn images (created if missing).", Required: true),
        new("mode", "fast|quality|single", "Selective search strategies (default fast; quality is several times slower, higher recall)."),
        new("max", "N", "Proposals kept per image, best ranked first; 0 for all (default 2000)."),
        new("draw", "N", "Proposals drawn on each image (default 50)."),
        new("force", null, "Overwrite output files that exist."),
    };

    public const string Summary =
        "Proposes object regions with selective search (Uijlings et al.; the same proposals as OpenCV's\n" +
        "SelectiveSearchSegmentation after srand(1)). For each image IMG writes --out/IMG.json with the\n" +
        "proposals (x0 y0 x1 y1 in pixels, best ranked first) and --out/IMG with the first --draw drawn\n" +
        "(PNG unless the input is JPEG).";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("propose", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        bool force = arguments.Has("force");
        var mode = ParseMode(arguments.Get("mode"), "");
        int max = NonNegativeInt(arguments.Get("max"), "--max", 2000);
        int draw = NonNegativeInt(arguments.Get("draw"), "--draw", 50);
        string[] images = ImageFiles.Find(arguments.Require("image"), "--image");
        string outFolder = arguments.Require("out");
        var outputs = PerImageOutputs.Plan(images, outFolder, force);

        var search = new SelectiveSearch(new SelectiveSearchOptions { Mode = mode, MaxProposals = max });
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
            var proposals = search.Propose(image);
            var corners = SelectiveSearchTransformer.ToCorners(proposals);
            OutputFile.Write(jsonPath, "--out", force, temp => File.WriteAllText(temp, Json(Path.GetFileName(imagePath), image.Width, image.Height, mode, corners)));
            int shown = Math.Min(draw, proposals.Length);
            // One class per drawn box, so each gets its own colour; labels and scores would only hide the image.
            var drawnBoxes = new ObjectDetections(corners[..(4 * shown)], Enumerable.Range(0, shown).ToArray(), new float[shown]);
            var names = Enumerable.Range(1, Math.Max(shown, 1)).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            using var drawn = DetectionDrawing.Draw(image, drawnBoxes, names, new DetectionDrawingOptions { ShowLabels = false, ShowScores = false, LineWidth = 1 });
            DetectionDrawing.Save(drawn, drawnPath, overwrite: force);
            context.Out.WriteLine($"{imagePath}: {proposals.Length} proposal{(proposals.Length == 1 ? "" : "s")}, {shown} drawn");
            total += proposals.Length;
        }
        int read = images.Length - failed;
        context.Note($"{total} proposals in {read} image{(read == 1 ? "" : "s")} ({mode.ToString().ToLowerInvariant()} mode); wrote JSON and drawn images to {outFolder}");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    /// <summary>{"image": NAME, "width": W, "height": H, "mode": "fast", "proposals": [[x0, y0, x1, y1], ...]}.</summary>
    private static string Json(string name, int width, int height, SelectiveSearchMode mode, float[] corners)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            writer.WriteString("image", name);
            writer.WriteNumber("width", width);
            writer.WriteNumber("height", height);
            writer.WriteString("mode", mode.ToString().ToLowerInvariant());
            writer.WriteStartArray("proposals");
            for (int i = 0; i < corners.Length; i += 4)
            {
                writer.WriteStartArray();
                for (int j = 0; j < 4; j++)
                    writer.WriteNumberValue((int)corners[i + j]);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>--mode fast|quality|single (default fast); <paramref name="prefix"/> starts the error message.</summary>
    internal static SelectiveSearchMode ParseMode(string? text, string prefix) => text switch
    {
        null or "fast" => SelectiveSearchMode.Fast,
        "quality" => SelectiveSearchMode.Quality,
        "single" => SelectiveSearchMode.Single,
        _ => throw CliException.UsageError($"{prefix}--mode must be fast, quality or single, got '{text}'"),
    };

    private static int NonNegativeInt(string? text, string option, int fallback) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
        : throw CliException.UsageError($"{option} must be zero or a positive integer, got '{text}'");
}
