using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Networks;

namespace Microsoft.ML.DeepExtensions.Tests.Networks;

[TestClass]
public sealed class NetworkSummaryTests
{
    [TestMethod]
    public void MlpSummaryListsLayersShapesAndParameterCounts()
    {
        var summary = new MlpNetwork(4, new[] { 12, 8 }, new ReLU(), dropout: 0.1, batchNormalization: true, outputSize: 3).Summary();

        CollectionAssert.AreEqual(
            new[] { "dense0", "norm0", "act0", "drop0", "dense1", "norm1", "act1", "drop1", "output" },
            summary.Layers.Select(l => l.Name).ToArray());
        CollectionAssert.AreEqual(new long[] { 12 }, summary.Layers[0].OutputShape.ToArray());
        CollectionAssert.AreEqual(new long[] { 3 }, summary.Layers[^1].OutputShape.ToArray());
        // Linear: in·out + out; BatchNorm1d: 2·n weights + 2·n running statistics (non-trainable).
        Assert.AreEqual(4 * 12 + 12, summary.Layers[0].Parameters);
        Assert.AreEqual(4 * 12, summary.Layers[1].Parameters);
        long trainable = (4 * 12 + 12) + 2 * 12 + (12 * 8 + 8) + 2 * 8 + (8 * 3 + 3);
        Assert.AreEqual(trainable, summary.TrainableParameters);
        Assert.AreEqual(trainable + 2 * 12 + 2 * 8, summary.TotalParameters);
        StringAssert.Contains(summary.ToString(), $"Trainable params: {trainable:N0}");
    }

    [TestMethod]
    public void RescaledRegressionOutputKeepsItsShape()
    {
        var network = new MlpNetwork(5, new[] { 7 }, new Tanh(), 0, false, 1);
        network.RescaleOutput(100, 20);
        var summary = network.Summary();
        Assert.AreEqual("layers.output", summary.Layers.Single(l => l.Type == "Linear" && l.OutputShape[0] == 1).Name);
        Assert.AreEqual("rescale", summary.Layers[^1].Name);
        Assert.AreEqual(5 * 7 + 7 + 7 * 1 + 1, summary.TotalParameters);
    }
}
