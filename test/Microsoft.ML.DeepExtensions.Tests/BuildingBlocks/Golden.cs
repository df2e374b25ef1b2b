using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks;

/// <summary>
/// Reads Golden/building_blocks.json, the PyTorch values written by
/// Golden/generate_building_blocks.py, and compares tensors with them.
/// </summary>
internal static class Golden
{
    /// <summary>Absolute and relative tolerance: |actual - expected| ≤ 1e-5·(1 + |expected|).</summary>
    public const double Tolerance = 1e-5;

    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "building_blocks.json"))).RootElement);

    /// <summary>A top-level section: <c>activations</c>, <c>losses</c>, <c>optimizers</c> or <c>schedules</c>.</summary>
    public static JsonElement Section(string name) => Root.Value.GetProperty(name);

    /// <summary>The cases of a section.</summary>
    public static IEnumerable<JsonElement> Cases(string section) => Section(section).GetProperty("cases").EnumerateArray();

    /// <summary>The case of a section with this spec (and, for losses, this input set).</summary>
    public static JsonElement Case(string section, string spec, string? inputs = null) =>
        Cases(section).Single(c => c.GetProperty("spec").GetString() == spec && (inputs is null || c.GetProperty("inputs").GetString() == inputs));

    /// <summary>A float32 tensor with the values and nesting of a JSON number array.</summary>
    public static Tensor Floats(JsonElement array)
    {
        var (values, shape) = Flatten(array);
        return tensor(values.Select(v => (float)v).ToArray(), shape);
    }

    /// <summary>An int64 tensor with the values and nesting of a JSON integer array.</summary>
    public static Tensor Longs(JsonElement array)
    {
        var (values, shape) = Flatten(array);
        return tensor(values.Select(v => (long)v).ToArray(), shape);
    }

    /// <summary>The numbers of a JSON array of numbers.</summary>
    public static double[] Doubles(JsonElement array) => Flatten(array).Values;

    /// <summary>Asserts that <paramref name="actual"/> has the shape and, within <see cref="Tolerance"/>, the values of <paramref name="expected"/>.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what)
    {
        var (values, shape) = Flatten(expected);
        CollectionAssert.AreEqual(shape, actual.shape, $"{what}: shape");
        var actualValues = actual.detach().cpu().to_type(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
            AssertClose(values[i], actualValues[i], $"{what}[{i}]");
    }

    /// <summary>Asserts |actual - expected| ≤ 1e-5·(1 + |expected|).</summary>
    public static void AssertClose(double expected, double actual, string what) =>
        Assert.IsTrue(Math.Abs(actual - expected) <= Tolerance * (1 + Math.Abs(expected)),
            $"{what}: expected {expected:R} (PyTorch), got {actual:R}.");

    private static (double[] Values, long[] Shape) Flatten(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number)
            return ([element.GetDouble()], []);
        var items = element.EnumerateArray().Select(Flatten).ToArray();
        var inner = items.Length > 0 ? items[0].Shape : [];
        return (items.SelectMany(i => i.Values).ToArray(), [items.Length, .. inner]);
    }
}
