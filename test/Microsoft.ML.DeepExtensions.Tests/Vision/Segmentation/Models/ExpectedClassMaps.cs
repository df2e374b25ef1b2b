using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation.Models;

/// <summary>
/// The generated semantic segmentation models (Vision/Segmentation/Models, beside generate_semantic_models.py) and the
/// class maps torchvision's post-processing gives on real photos, from expected_class_maps.json.
/// </summary>
internal static class ExpectedClassMaps
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("expected_class_maps.json"))));

    public static string PathOf(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vision", "Segmentation", "Models", file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Test file '{path}' is missing: it is committed beside generate_semantic_models.py and copied to the test output.", path);
        return path;
    }

    public sealed record Image(string Path, int Width, int Height, int[] Classes, float[] MeanProbabilities, double FragilePixels);

    public static IReadOnlyList<string> ClassNames => Document.Value.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static string ModelFile(string kind) => PathOf(Model(kind).GetProperty("file").GetString()!);

    public static IReadOnlyList<Image> Images(string kind) => Model(kind).GetProperty("images").EnumerateArray().Select(e =>
    {
        string path = e.GetProperty("image").GetString()!;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Test photo '{path}' is missing: install the Debian packages opencv-doc and python3-skimage.", path);
        int width = e.GetProperty("width").GetInt32(), height = e.GetProperty("height").GetInt32();
        var runs = e.GetProperty("runs").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var classes = new int[width * height];
        int at = 0;
        for (int i = 0; i < runs.Length; i += 2)
        {
            classes.AsSpan(at, runs[i + 1]).Fill(runs[i]);
            at += runs[i + 1];
        }
        Assert.AreEqual(classes.Length, at, "the runs cover the image");
        return new Image(path, width, height, classes, e.GetProperty("meanProbabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            e.GetProperty("fragilePixels").GetDouble());
    }).ToArray();

    private static JsonElement Model(string kind) => Document.Value.RootElement.GetProperty("models").GetProperty(kind);
}
