using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeepExtensions.Cli.Bench;

/// <summary>
/// One row of the synthetic data as ML.NET reads it. Only one of the label fields is a column:
/// <see cref="SyntheticTabularData.SchemaDefinition"/> drops the others and names the kept one <c>Label</c>.
/// </summary>
public sealed class TabularRow
{
    public float[] Features = Array.Empty<float>();

    public bool BinaryLabel;

    public uint KeyLabel;

    public float RegressionLabel;
}

/// <summary>
/// A deterministic synthetic tabular data set held twice in memory: as rows for an ML.NET
/// <see cref="IDataView"/> (<c>LoadFromEnumerable</c>) and as one flat float array (plus targets)
/// for the bare TorchSharp loop. Features are standard normal; the label comes from a fixed random
/// teacher with one interaction term and noise, so the MLP has something to learn.
/// </summary>
public sealed class SyntheticTabularData
{
    private SyntheticTabularData(TabularBenchTask task, int rows, int features, int classes, float[] values, float[] targets, long[] classTargets, List<TabularRow> list)
    {
        Task = task;
        Rows = rows;
        FeatureCount = features;
        Classes = classes;
        Values = values;
        Targets = targets;
        ClassTargets = classTargets;
        List = list;
    }

    public TabularBenchTask Task { get; }

    public int Rows { get; }

    public int FeatureCount { get; }

    public int Classes { get; }

    /// <summary>Row-major features, <c>Rows × FeatureCount</c>.</summary>
    public float[] Values { get; }

    /// <summary>0/1 targets (binary) or values (regression); empty for multiclass.</summary>
    public float[] Targets { get; }

    /// <summary>Class indices 0..K-1 (multiclass); empty otherwise.</summary>
    public long[] ClassTargets { get; }

    /// <summary>The same rows as objects, for <see cref="DataOperationsCatalog.LoadFromEnumerable{TRow}(IEnumerable{TRow}, SchemaDefinition)"/>.</summary>
    public IReadOnlyList<TabularRow> List { get; }

    /// <summary>Bytes the flat copy takes (features and targets).</summary>
    public long FlatBytes => 4L * Values.Length + 4L * Targets.Length + 8L * ClassTargets.Length;

    public static SyntheticTabularData Generate(TabularBenchTask task, int rows, int features, int classes, int seed)
    {
        var random = new Random(seed);
        int outputs = task == TabularBenchTask.Multiclass ? classes : 1;
        var teacher = new float[outputs * features];
        float scale = 1f / MathF.Sqrt(features);
        for (int i = 0; i < teacher.Length; i++)
            teacher[i] = Normal(random) * scale;

        var values = new float[(long)rows * features];
        var targets = task == TabularBenchTask.Multiclass ? Array.Empty<float>() : new float[rows];
        var classTargets = task == TabularBenchTask.Multiclass ? new long[rows] : Array.Empty<long>();
        var list = new List<TabularRow>(rows);
        var logits = new float[outputs];
        for (int r = 0; r < rows; r++)
        {
            var row = new float[features];
            for (int f = 0; f < features; f++)
                row[f] = Normal(random);
            row.CopyTo(values, (long)r * features);

            float interaction = features > 1 ? row[0] * row[1] : 0;
            for (int k = 0; k < outputs; k++)
            {
                float dot = 0;
                for (int f = 0; f < features; f++)
                    dot += teacher[k * features + f] * row[f];
                logits[k] = dot + (k == 0 ? interaction : 0) + 0.3f * Normal(random);
            }

            var item = new TabularRow { Features = row };
            switch (task)
            {
                case TabularBenchTask.Binary:
                    item.BinaryLabel = logits[0] > 0;
                    targets[r] = item.BinaryLabel ? 1f : 0f;
                    break;
                case TabularBenchTask.Multiclass:
                    int best = 0;
                    for (int k = 1; k < outputs; k++)
                        best = logits[k] > logits[best] ? k : best;
                    // LoadFromEnumerable reads a key field as zero-based (it stores value + 1; 0 is missing).
                    item.KeyLabel = (uint)best;
                    classTargets[r] = best;
                    break;
                default:
                    item.RegressionLabel = logits[0];
                    targets[r] = logits[0];
                    break;
            }
            list.Add(item);
        }
        return new SyntheticTabularData(task, rows, features, classes, values, targets, classTargets, list);
    }

    /// <summary>
    /// The schema of <see cref="TabularRow"/> for this data: <c>Features</c> as a known-size vector and the
    /// task's label field as <c>Label</c> (Boolean, key or Single).
    /// </summary>
    public SchemaDefinition SchemaDefinition()
    {
        var definition = Microsoft.ML.Data.SchemaDefinition.Create(typeof(TabularRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        string keep = Task switch
        {
            TabularBenchTask.Binary => nameof(TabularRow.BinaryLabel),
            TabularBenchTask.Multiclass => nameof(TabularRow.KeyLabel),
            _ => nameof(TabularRow.RegressionLabel),
        };
        definition.RemoveAll(c => c.MemberName != nameof(TabularRow.Features) && c.MemberName != keep);
        var label = definition.Single(c => c.MemberName == keep);
        label.ColumnName = "Label";
        if (Task == TabularBenchTask.Multiclass)
            label.ColumnType = new KeyDataViewType(typeof(uint), Classes);
        return definition;
    }

    /// <summary>
    /// The rows as an <see cref="IDataView"/>. With <paramref name="rowCountKnown"/> the view reports its row
    /// count (as over a list); without, it streams rows of unknown count (as a text file does).
    /// </summary>
    public IDataView ToDataView(MLContext mlContext, bool rowCountKnown = true) =>
        mlContext.Data.LoadFromEnumerable(rowCountKnown ? List : Stream(List), SchemaDefinition());

    private static IEnumerable<TabularRow> Stream(IReadOnlyList<TabularRow> rows)
    {
        foreach (var row in rows)
            yield return row;
    }

    private static float Normal(Random random)
    {
        // Box-Muller; deterministic for a given Random.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
