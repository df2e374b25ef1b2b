using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Layers;

/// <summary>
/// Reads Golden/vision_layers.json, the PyTorch 1.13 / torchvision 0.14 values written by
/// Golden/generate_vision_layers.py (layer outputs, torchvision parameter names and counts).
/// </summary>
internal static class VisionGolden
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "vision_layers.json"))).RootElement);

    /// <summary>The layer case of this name.</summary>
    public static JsonElement Layer(string name) =>
        Root.Value.GetProperty("layers").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The names of the layer cases of one kind (convolution, lrn, ...).</summary>
    public static IEnumerable<string> LayerCases(string layer) =>
        Root.Value.GetProperty("layers").EnumerateArray()
            .Where(c => c.GetProperty("layer").GetString() == layer)
            .Select(c => c.GetProperty("name").GetString()!);

    /// <summary>torchvision's entry for an architecture: <c>total</c> and, for some, <c>parameters</c> (name, shape).</summary>
    public static JsonElement Architecture(string name) =>
        Root.Value.GetProperty("architectures").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
