using System.Drawing;
using System.Globalization;
using DeepExtensions.Cli.Commands;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Haar;

namespace DeepExtensions.Cli.Haar;

/// <summary>
/// A folder of test images with their true boxes in <c>boxes.csv</c> (header <c>file,x,y,width,height</c>,
/// one row per object; an image without objects has no row), as 'deepext haar-sample' writes it.
/// </summary>
public static class TestSet
{
    public const string BoxesFile = "boxes.csv";
    public const string Header = "file,x,y,width,height";

    /// <summary>Detects with <paramref name="cascade"/> (OpenCV's default scan) on every image and scores the boxes.</summary>
    public static DetectionScore Score(HaarCascade cascade, string folder, MLContext ml, CliContext context)
    {
        var truth = ReadBoxes(folder);
        var detector = ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions { Cascade = cascade })
            .Fit(PathImages.Load(ml, Array.Empty<string>()));
        var total = new DetectionScore(0, 0, 0, 0);
        foreach (string file in ImageFiles.Find(folder, "--test", fileAllowed: false))
        {
            using var image = ImageFiles.TryRead(file, context);
            if (image is null)
                continue;
            var found = detector.Detect(image);
            var boxes = Enumerable.Range(0, found.Count)
                .Select(i => found[i])
                .Select(d => Rectangle.FromLTRB((int)d.X0, (int)d.Y0, (int)d.X1, (int)d.Y1))
                .ToList();
            total = total.Add(BoxMatching.Score(truth.GetValueOrDefault(Path.GetFileName(file), []), boxes));
        }
        return total;
    }

    public static Dictionary<string, List<Rectangle>> ReadBoxes(string folder)
    {
        string path = Path.Combine(folder, BoxesFile);
        if (!File.Exists(path))
            throw CliException.DataError($"--test '{folder}' has no {BoxesFile} ({Header})");
        var boxes = new Dictionary<string, List<Rectangle>>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header)
            throw CliException.DataError($"'{path}' must start with the header '{Header}'");
        for (int n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n]))
                continue;
            var parts = lines[n].Split(',');
            var numbers = parts.Skip(1).Select(p => int.TryParse(p.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : (int?)null).ToArray();
            if (parts.Length != 5 || numbers.Any(v => v is null) || numbers[2] <= 0 || numbers[3] <= 0)
                throw CliException.DataError($"'{path}' line {n + 1}: expected file,x,y,width,height with a positive width and height, got '{lines[n]}'");
            if (!boxes.TryGetValue(parts[0].Trim(), out var list))
                boxes[parts[0].Trim()] = list = new List<Rectangle>();
            list.Add(new Rectangle(numbers[0]!.Value, numbers[1]!.Value, numbers[2]!.Value, numbers[3]!.Value));
        }
        return boxes;
    }

    public static void WriteBoxes(string folder, IEnumerable<(string File, Rectangle Box)> boxes) =>
        File.WriteAllLines(Path.Combine(folder, BoxesFile),
            new[] { Header }.Concat(boxes.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.File},{b.Box.X},{b.Box.Y},{b.Box.Width},{b.Box.Height}"))));
}
