using System.Globalization;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Persistence;

/// <summary>Data, model and output reading shared by the persistence tests and their child process.</summary>
internal static class PersistenceTestData
{
    internal const int Width = 4;
    internal static readonly float[] Constant = [0.5f, -1.25f, 3f, 1e-3f];

    internal sealed class Row
    {
        [VectorType(Width)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class Output
    {
        [VectorType(Width)]
        public float[] Shifted { get; set; } = [];

        [VectorType(2 * Width)]
        public float[] All { get; set; } = [];
    }

    internal static IDataView Data(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, 25).Select(i => new Row
        {
            Features = Enumerable.Range(0, Width).Select(j => MathF.Sin(i * 0.7f + j) * (j + 1) * 10f).ToArray(),
        }));

    /// <summary>
    /// A real ML.NET chain with our transformer in the middle: NormalizeMinMax (fitted), then
    /// AddConstant, then Concatenate (fitted on AddConstant's output).
    /// </summary>
    internal static ITransformer BuildModel(MLContext ml, IDataView data, float[]? constant = null)
    {
        var normalizer = ml.Transforms.NormalizeMinMax("Features").Fit(data);
        var addConstant = new AddConstantTransformer("Features", "Shifted", constant ?? Constant);
        var concatenate = ml.Transforms.Concatenate("All", "Features", "Shifted")
            .Fit(addConstant.Transform(normalizer.Transform(data)));
        return new TransformerChain<ITransformer>(normalizer, addConstant, concatenate);
    }

    /// <summary>Every output value, as round-trippable text, one row per line.</summary>
    internal static string[] Score(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Output>(model.Transform(data), reuseRowObject: false)
            .Select(o => string.Join(' ', o.Shifted.Concat(o.All).Select(v => v.ToString("R", CultureInfo.InvariantCulture))))
            .ToArray();
}
