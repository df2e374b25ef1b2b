using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;

/// <summary>
/// The generated test models (Vision/Detection/Models, beside generate_detection_models.py) and the detections their
/// reference implementations (PyTorch / torchvision) found on real photos, from expected_detections.json.
/// </summary>
internal static class ExpectedDetections
{
    /// <summary>Box coordinates must agree within this fraction of the image's larger side.</summary>
    public const double BoxTolerance = 1e-3;

    /// <summary>
    /// Scores (probabilities) must agree within this. The YOLO references letterbox with OpenCV's bilinear resize and
    /// we with SkiaSharp's; the pixels differ by about one grey level here and there, and the tiny models' score
    /// logits are steepened (STEEP in the generator), so YOLO scores differ by up to ~1.5e-3 (R-CNN: ~1e-6).
    /// </summary>
    public const double ScoreTolerance = 5e-3;

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(PathOf("expected_detections.json"))));

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Models");

    public static string PathOf(string file)
    {
        string path = Path.Combine(Folder, file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Test model file '{path}' is missing: it is committed beside generate_detection_models.py and copied to the test output.", path);
        return path;
    }

    public sealed record Detection(int Label, float Score, float[] Box, JsonElement? Mask);

    public sealed record Image(string Path, int Width, int Height, Detection[] Detections);

    public static string ModelFile(string kind) => PathOf(Model(kind).GetProperty("file").GetString()!);

    public static float Confidence(string kind) => Model(kind).GetProperty("confidence").GetSingle();

    public static IReadOnlyList<Image> Images(string kind) =>
        Model(kind).GetProperty("images").EnumerateArray().Select(image =>
        {
            string path = image.GetProperty("image").GetString()!;
            if (!File.Exists(path))
                throw new FileNotFoundException($"Test photo '{path}' is missing: install the Debian packages opencv-doc and python3-skimage.", path);
            var detections = image.GetProperty("detections").EnumerateArray().Select(d => new Detection(
                d.GetProperty("label").GetInt32(), d.GetProperty("score").GetSingle(),
                d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
                d.TryGetProperty("mask", out var mask) ? mask : null)).ToArray();
            return new Image(path, image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32(), detections);
        }).ToArray();

    private static JsonElement Model(string kind) => Document.Value.RootElement.GetProperty("models").GetProperty(kind);

    /// <summary>Asserts that <paramref name="actual"/> has the expected detections: same count, labels and order,
    /// scores within <see cref="ScoreTolerance"/>, boxes within <see cref="BoxTolerance"/> of the image size.</summary>
    public static void AssertMatches(Image expected, ObjectDetections actual, string what)
    {
        string name = $"{what}, {System.IO.Path.GetFileName(expected.Path)}";
        Assert.AreEqual(expected.Detections.Length, actual.Count,
            $"{name}: detection count. Expected labels [{string.Join(",", expected.Detections.Select(d => d.Label))}], got [{string.Join(",", actual.ClassIndices.ToArray())}] with scores [{string.Join(",", actual.Scores.ToArray())}].");
        double boxTolerance = BoxTolerance * Math.Max(expected.Width, expected.Height);
        for (int i = 0; i < actual.Count; i++)
        {
            var want = expected.Detections[i];
            var got = actual[i];
            Assert.AreEqual(want.Label, got.ClassIndex, $"{name}: label of detection {i}.");
            Assert.AreEqual(want.Score, got.Score, ScoreTolerance, $"{name}: score of detection {i}.");
            float[] box = { got.X0, got.Y0, got.X1, got.Y1 };
            for (int k = 0; k < 4; k++)
                Assert.AreEqual(want.Box[k], box[k], boxTolerance, $"{name}: box coordinate {k} of detection {i} (expected [{string.Join(", ", want.Box)}], got [{string.Join(", ", box)}]).");
        }
    }

    /// <summary>A mask stored by the generator as run lengths (x, y, width, height, runs starting with zeros).</summary>
    public static InstanceMask DecodeMask(JsonElement rle)
    {
        int width = rle.GetProperty("width").GetInt32(), height = rle.GetProperty("height").GetInt32();
        var pixels = new byte[width * height];
        int position = 0;
        byte value = 0;
        foreach (var run in rle.GetProperty("runs").EnumerateArray())
        {
            int length = run.GetInt32();
            pixels.AsSpan(position, length).Fill(value);
            position += length;
            value ^= 1;
        }
        Assert.AreEqual(pixels.Length, position, "run lengths cover the mask");
        return new InstanceMask(rle.GetProperty("x").GetInt32(), rle.GetProperty("y").GetInt32(), width, height, pixels);
    }

    /// <summary>Intersection and union (in image pixels) of two masks.</summary>
    public static (int Intersection, int Union) Overlap(InstanceMask a, InstanceMask b)
    {
        int intersection = 0, union = 0;
        for (int y = Math.Min(a.Top, b.Top); y < Math.Max(a.Top + a.Height, b.Top + b.Height); y++)
        {
            for (int x = Math.Min(a.Left, b.Left); x < Math.Max(a.Left + a.Width, b.Left + b.Width); x++)
            {
                bool inA = a.Contains(x, y), inB = b.Contains(x, y);
                intersection += inA && inB ? 1 : 0;
                union += inA || inB ? 1 : 0;
            }
        }
        return (intersection, union);
    }
}
