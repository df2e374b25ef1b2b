// The package check's app: "train DIR" fits an MLP and a CNN through ML.NET's catalogs, saves both models
// and their predictions; "load DIR" (run as a second process) loads the models with plain ML.NET plus
// RegisterDeepExtensions() and checks that they predict exactly what they predicted when trained.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;

if (args.Length != 2 || args[0] is not ("train" or "load"))
{
    Console.Error.WriteLine("usage: Consumer train|load DIR");
    return 2;
}
string folder = args[1];
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(Samples.Rows(300, seed: 1), Samples.Schema());
var test = ml.Data.LoadFromEnumerable(Samples.Rows(60, seed: 2), Samples.Schema());

if (args[0] == "train")
{
    var mlp = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpTrainer.Options { FeatureColumnName = "Features", HiddenLayers = new[] { 16 }, Epochs = 20 }))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
        .Fit(data);
    var cnn = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.Cnn(new CnnTrainer.Options
        {
            FeatureColumnName = "Features",
            ImageShape = new ImageShape(1, Samples.Side, Samples.Side),
            Architecture = ImageArchitectures.Get("small-cnn"),
            Epochs = 3,
        }))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
        .Fit(data);
    foreach (var (name, model) in new[] { ("mlp", (ITransformer)mlp), ("cnn", cnn) })
    {
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"{name}: test accuracy {metrics.MicroAccuracy:0.000}");
        ml.Model.Save(model, data.Schema, Path.Combine(folder, name + ".zip"));
        File.WriteAllLines(Path.Combine(folder, name + ".predictions.txt"), Samples.Predictions(model.Transform(test)));
        (model as IDisposable)?.Dispose();
    }
    return 0;
}

ml.RegisterDeepExtensions();
int failures = 0;
foreach (string name in new[] { "mlp", "cnn" })
{
    var model = ml.Model.Load(Path.Combine(folder, name + ".zip"), out _);
    var expected = File.ReadAllLines(Path.Combine(folder, name + ".predictions.txt"));
    var actual = Samples.Predictions(model.Transform(test)).ToArray();
    bool same = expected.SequenceEqual(actual);
    Console.WriteLine($"{name}: loaded in a fresh process, {actual.Length} predictions {(same ? "identical" : "DIFFERENT")}");
    failures += same ? 0 : 1;
}
return failures == 0 ? 0 : 1;

/// <summary>Three classes of 12x12 grey images: a bright top half, left half or diagonal band, with noise.</summary>
internal static class Samples
{
    public const int Side = 12;

    public sealed class Row
    {
        public string Label { get; set; } = "";

        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Side * Side);
        return schema;
    }

    public static IEnumerable<Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        string[] classes = { "top", "left", "diagonal" };
        for (int i = 0; i < count; i++)
        {
            int c = i % 3;
            var pixels = new float[Side * Side];
            for (int y = 0; y < Side; y++)
            {
                for (int x = 0; x < Side; x++)
                {
                    bool on = c switch { 0 => y < Side / 2, 1 => x < Side / 2, _ => Math.Abs(x - y) < 3 };
                    pixels[y * Side + x] = (on ? 0.8f : 0.2f) + (float)(random.NextDouble() - 0.5) * 0.3f;
                }
            }
            yield return new Row { Label = classes[c], Features = pixels };
        }
    }

    public static IEnumerable<string> Predictions(IDataView scored)
    {
        var labels = scored.GetColumn<string>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        return labels.Zip(scores, (label, score) => label + ";" + string.Join(",", score.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }
}
