using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Cli;

namespace Microsoft.ML.DeepExtensions.Tests.Persistence;

/// <summary>
/// Model files saved by DeepExtensions on Microsoft.ML 5.0.1 (see MlNet5/generate_mlnet5_models.sh) load on
/// the ML.NET in use and predict what they predicted there: a model.zip of the previous ML.NET version
/// keeps working after the upgrade.
/// </summary>
[TestClass]
public sealed class MlNet5ModelTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Persistence", "MlNet5", name);

    [TestMethod]
    public void MlpSavedOnMlNet5PredictsTheSameOnTheMlNetInUse() =>
        AssertSamePredictions("wine-mlnet5", CliRunner.Sample("wine-test.csv"));

    [TestMethod]
    public void CnnSavedOnMlNet5PredictsTheSameOnTheMlNetInUse() =>
        AssertSamePredictions("fashion-lenet-mlnet5", CliRunner.Sample("fashion-mnist-subset"));

    [TestMethod]
    public void ModelLoadsThroughThePublicApi()
    {
        var ml = new MLContext(1).RegisterDeepExtensions();
        var model = ml.Model.Load(Fixture("fashion-lenet-mlnet5.zip"), out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Features"));
        Assert.IsNotNull(model.GetOutputSchema(schema).GetColumnOrNull("PredictedLabel"));
        (model as IDisposable)?.Dispose();
    }

    private static void AssertSamePredictions(string name, string data)
    {
        using var folder = new TempFolder();
        string output = folder.File("predictions.csv");
        var result = CliRunner.Run("predict", "--model", Fixture(name + ".zip"), "--data", data, "--out", output);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var expected = File.ReadAllLines(Fixture(name + "-predictions.csv"));
        var actual = File.ReadAllLines(output).Take(expected.Length).ToArray();
        Assert.AreEqual(expected[0], actual[0], "the same columns");
        for (int r = 1; r < expected.Length; r++)
        {
            var e = expected[r].Split(',');
            var a = actual[r].Split(',');
            Assert.AreEqual(e.Length, a.Length, $"row {r}");
            for (int c = 0; c < e.Length; c++)
            {
                if (double.TryParse(e[c], System.Globalization.CultureInfo.InvariantCulture, out double x))
                    Assert.AreEqual(x, double.Parse(a[c], System.Globalization.CultureInfo.InvariantCulture), 1e-5, $"row {r}, column {expected[0].Split(',')[c]}");
                else
                    Assert.AreEqual(e[c], a[c], $"row {r}, column {c}");
            }
        }
    }
}
