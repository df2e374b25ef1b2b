using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Weights;

/// <summary>
/// What generate_torchvision_weights.py wrote: torchvision models (3 classes, 3x64x64 input) with seeded random weights
/// saved by torch.save, their state-dict names and shapes, and their logits on real photos.
/// </summary>
internal static class TorchvisionGolden
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "Vision", "Weights", "Golden");

    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "torchvision_weights.json"))).RootElement);

    public static readonly long[] InputShape = { 3, 64, 64 };

    public const int Classes = 3;

    public static string WeightsOf(string architecture) => Path.Combine(Folder, architecture + ".pt");

    public static string[] PhotoNames => Root.Value.GetProperty("photos").EnumerateArray().Select(p => p.GetString()!).ToArray();

    public static string PhotoPath(string name) => Path.Combine(Folder, "photos", name + ".png");

    public static JsonElement Architecture(string name) =>
        Root.Value.GetProperty("architectures").EnumerateArray().Single(a => a.GetProperty("name").GetString() == name);

    /// <summary>torchvision's logits, one row per photo.</summary>
    public static float[][] Logits(string architecture) =>
        Architecture(architecture).GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

    /// <summary>torchvision's state-dict names and shapes.</summary>
    public static (string Name, long[] Shape)[] Tensors(string architecture) =>
        Architecture(architecture).GetProperty("tensors").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToArray();

    /// <summary>The photos as planar RGB in [0, 1], one after another (the batch the script scored).</summary>
    public static float[] PhotoBatch()
    {
        var names = PhotoNames;
        int size = 3 * 64 * 64;
        var batch = new float[names.Length * size];
        var bytes = new byte[size];
        for (int i = 0; i < names.Length; i++)
        {
            var image = ImageFile.Load(PhotoPath(names[i]));
            ImagePlanes.WriteRgbBytes(image, bytes);
            for (int j = 0; j < size; j++)
                batch[i * size + j] = bytes[j] / 255f;
        }
        return batch;
    }

    public static float[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => (float)(v / sum)).ToArray();
    }
}
