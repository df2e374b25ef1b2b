using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Ops;

/// <summary>
/// Reads roi_ops_golden.json, the torchvision 0.14 values written by generate_roi_ops.py beside this file: each
/// tensor is <c>{"shape": [...], "values": [...]}</c>.
/// </summary>
internal static class RoIGolden
{
    /// <summary>|actual − expected| ≤ 1e-5·(1 + |expected|): float32 sums in another order.</summary>
    public const double Tolerance = 1e-5;

    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Ops", "roi_ops_golden.json"))).RootElement);

    public static JsonElement Section(string name) => Root.Value.GetProperty(name);

    public static IEnumerable<JsonElement> Cases(string section) => Section(section).GetProperty("cases").EnumerateArray();

    /// <summary>The case names of a section, as MSTest data rows.</summary>
    public static IEnumerable<object[]> CaseNames(string section) => Cases(section).Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>The case of a section with this name.</summary>
    public static JsonElement Case(string section, string name) => Cases(section).Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The section's shared feature map, as a leaf that requires grad.</summary>
    public static Tensor InputLeaf(string section) => Tensor(Section(section).GetProperty("input")).requires_grad_(true);

    /// <summary>
    /// Runs <paramref name="pool"/> on <paramref name="input"/> (a leaf), back-propagates <c>sum(output · grad_weights)</c>
    /// and compares the output and the input's gradient with the case's.
    /// </summary>
    public static void AssertOutputAndGradient(JsonElement golden, Tensor input, Func<Tensor, Tensor> pool, string what)
    {
        var output = pool(input);
        (output * Tensor(golden.GetProperty("grad_weights"))).sum().backward();
        AssertClose(golden.GetProperty("output"), output, $"{what} output");
        AssertClose(golden.GetProperty("input_grad"), input.grad!, $"{what} input gradient");
    }

    /// <summary>The float32 tensor of a <c>{"shape", "values"}</c> object.</summary>
    public static Tensor Tensor(JsonElement element) =>
        torch.tensor(Values(element).Select(v => (float)v).ToArray(), Shape(element));

    public static (int Height, int Width) Size(JsonElement array) => (array[0].GetInt32(), array[1].GetInt32());

    /// <summary>Asserts the shape and, within <see cref="Tolerance"/>, the values.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what)
    {
        CollectionAssert.AreEqual(Shape(expected), actual.shape, $"{what}: shape");
        var want = Values(expected);
        if (want.Length == 0)
            return; // TorchSharp cannot copy out an empty tensor; the shape said it all
        var got = actual.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        int bad = 0;
        string first = "";
        for (int i = 0; i < want.Length; i++)
        {
            if (!(Math.Abs(got[i] - want[i]) <= Tolerance * (1 + Math.Abs(want[i]))))
            {
                if (bad++ == 0)
                    first = $"[{i}] expected {want[i]:R} (torchvision), got {got[i]:R}";
            }
        }
        Assert.AreEqual(0, bad, $"{what}: {bad} of {want.Length} values differ, first {first}.");
    }

    private static long[] Shape(JsonElement element) => element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static double[] Values(JsonElement element) => element.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
