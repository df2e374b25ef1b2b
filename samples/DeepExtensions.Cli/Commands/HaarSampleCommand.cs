using System.Globalization;
using DeepExtensions.Cli.Haar;
using SkiaSharp;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext haar-sample</c>: writes the generated data set for <c>train --task haar-cascade</c> (see
/// <see cref="ShapeScenes"/>): DIR/positives (windows of a bright disk), DIR/negatives (backgrounds
/// without disks) and DIR/test (held-out scenes with DIR/test/boxes.csv), all 8-bit gray PNG.
/// </summary>
public static class HaarSampleCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("out", "DIR", "Folder to write positives/, negatives/ and test/ into (created if missing).", Required: true),
        new("positives", "N", "Positive windows (default: 1000)."),
        new("negatives", "N", "Background images, 160x120 (default: 100)."),
        new("scenes", "N", "Test scenes, 160x120 with 1 to 3 disks each (default: 50)."),
        new("window", "N", "Smallest positive window and smallest test box in pixels (default: 20)."),
        new("seed", "N", "Seed of the generator (default: 1)."),
        new("force", null, "Write into DIR even if it already holds these folders."),
    };

    public const string Summary =
        "Writes a generated data set for training a Haar cascade: a bright filled disk on varied backgrounds\n" +
        "(gradients, noise, stripes, rectangles and lines). Positives are windows around one disk (sizes from\n" +
        "the window to twice it, small jitter); negatives are backgrounds without disks; test scenes hold 1 to 3\n" +
        "disks with boxes from the window to 4 times it. The same seed always writes the same images.";

    public const int ImageWidth = 160, ImageHeight = 120;

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("haar-sample", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string root = arguments.Require("out");
        int positives = Count(arguments, "positives", 1000);
        int negatives = Count(arguments, "negatives", 100);
        int scenes = Count(arguments, "scenes", 50);
        int window = Count(arguments, "window", 20);
        if (window < 6 || 4 * window > ImageHeight)
            throw CliException.UsageError($"--window '{window}' is not valid: expected 6 to {ImageHeight / 4}");
        int seed = arguments.Get("seed") is { } s ? TrainingArguments.ParseInt(s, "--seed", minimum: int.MinValue) : 1;
        string[] folders = ["positives", "negatives", "test"];
        if (!arguments.Has("force") && folders.Any(f => Directory.Exists(Path.Combine(root, f))))
            throw CliException.UsageError($"--out '{root}' already holds positives/, negatives/ or test/ (pass --force to write into it)");

        var random = new Random(seed);
        string positiveFolder = Folder(root, "positives"), negativeFolder = Folder(root, "negatives"), testFolder = Folder(root, "test");
        for (int i = 0; i < positives; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            int size = random.Next(window, 2 * window + 1);
            WritePng(Path.Combine(positiveFolder, Name("pos", i, positives)), ShapeScenes.Positive(random, size), size, size);
        }
        for (int i = 0; i < negatives; i++)
            WritePng(Path.Combine(negativeFolder, Name("neg", i, negatives)), ShapeScenes.Background(random, ImageWidth, ImageHeight), ImageWidth, ImageHeight);
        var boxes = new List<(string, System.Drawing.Rectangle)>();
        for (int i = 0; i < scenes; i++)
        {
            var scene = ShapeScenes.Scene(random, ImageWidth, ImageHeight, random.Next(1, 4), window, 4 * window);
            string name = Name("scene", i, scenes);
            WritePng(Path.Combine(testFolder, name), scene.Pixels, scene.Width, scene.Height);
            boxes.AddRange(scene.Boxes.Select(b => (name, b)));
        }
        TestSet.WriteBoxes(testFolder, boxes);
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"wrote {positives} positives, {negatives} negatives and {scenes} test scenes ({boxes.Count} disks) to {root}"));
        context.Out.WriteLine($"{{\"Positives\":{positives},\"Negatives\":{negatives},\"Scenes\":{scenes},\"Objects\":{boxes.Count}}}");
        return ExitCodes.Success;
    }

    private static int Count(Arguments arguments, string name, int fallback) =>
        arguments.Get(name) is { } text ? TrainingArguments.ParseInt(text, $"--{name}", minimum: 1) : fallback;

    private static string Folder(string root, string name)
    {
        string path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string Name(string prefix, int index, int count) =>
        $"{prefix}{index.ToString(CultureInfo.InvariantCulture).PadLeft(count.ToString(CultureInfo.InvariantCulture).Length, '0')}.png";

    private static unsafe void WritePng(string path, byte[] gray, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var destination = new Span<byte>((void*)bitmap.GetPixels(), bitmap.RowBytes * height);
        for (int y = 0; y < height; y++)
            gray.AsSpan(y * width, width).CopyTo(destination.Slice(y * bitmap.RowBytes));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
