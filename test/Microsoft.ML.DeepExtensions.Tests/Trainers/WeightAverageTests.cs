using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Trainers;

[TestClass]
public sealed class WeightAverageTests
{
    [TestMethod]
    public void UpdatesFollowTheRampedMomentum_SwapExchanges_AndBatchCountersFollowTheNetwork()
    {
        torch.manual_seed(3);
        using var network = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2));
        var weight = network.state_dict()["0.weight"];
        var runningMean = network.state_dict()["1.running_mean"];
        var expected = weight.detach().clone();
        var expectedMean = runningMean.detach().clone();
        using var average = new WeightAverage(network, momentum: 0.5);

        // Ramp: d = min(0.5, (1 + n) / (10 + n)) = 0.1, 0.1818.., 0.25, 0.3077.., 0.3571.., 0.4, 0.4375.., 0.4706.., 0.5, 0.5
        double[] decays = new double[10];
        for (int n = 0; n < decays.Length; n++)
        {
            decays[n] = average.Decay;
            using (torch.no_grad())
            {
                weight.add_(torch.randn_like(weight));
                runningMean.add_(1.0);
                network.state_dict()["1.num_batches_tracked"].add_(1);
            }
            expected = decays[n] * expected + (1 - decays[n]) * weight.detach();
            expectedMean = decays[n] * expectedMean + (1 - decays[n]) * runningMean.detach();
            average.Update();
        }
        Assert.AreEqual(0.1, decays[0], 1e-12);
        Assert.AreEqual(2.0 / 11, decays[1], 1e-12);
        Assert.AreEqual(0.5, decays[8], 1e-12);
        Assert.AreEqual(0.5, decays[9], 1e-12);

        var live = weight.detach().clone();
        average.Swap();
        Assert.IsTrue(weight.allclose(expected, rtol: 1e-6, atol: 1e-6), "after Swap the network holds the average");
        Assert.IsTrue(runningMean.allclose(expectedMean, rtol: 1e-6, atol: 1e-6), "running statistics are averaged too");
        Assert.AreEqual(10L, network.state_dict()["1.num_batches_tracked"].item<long>(), "integer buffers are the network's own");
        average.Swap();
        Assert.IsTrue(weight.allclose(live, rtol: 0, atol: 0), "a second Swap gives the live weights back");
        average.CopyToNetwork();
        Assert.IsTrue(weight.allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [TestMethod]
    public void ValidationScoresTheAverage_AndFitReturnsTheBestAverage()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.Binary(200, 1));
        var validationRows = SyntheticData.Binary(80, 9);
        var validation = ml.Data.LoadFromEnumerable(validationRows);
        (double BestReported, double FittedLoss, float[] Scores) Fit(double? momentum)
        {
            var trainer = ml.BinaryClassification.Trainers.Mlp(new MlpTrainer.Options
            {
                HiddenLayers = new[] { 16 },
                Epochs = 8,
                BatchSize = 32,
                Optimizer = new Adam(0.02),
                Device = ComputeDevice.Cpu,
                Seed = 5,
                EarlyStoppingPatience = 0,
                ValidationData = validation,
                WeightAverageMomentum = momentum,
            });
            using var model = trainer.Fit(train);
            var scores = model.Transform(validation).GetColumn<float>("Score").ToArray();
            // The validation loss (mean sigmoid cross-entropy) of the fitted model, from its raw scores.
            double loss = scores.Zip(validationRows, (s, row) => Math.Max(s, 0) - s * (row.Label ? 1 : 0) + Math.Log(1 + Math.Exp(-Math.Abs(s)))).Average();
            return (trainer.TrainingHistory.Min(p => p.ValidationLoss!.Value), loss, scores);
        }

        var plain = Fit(null);
        var averaged = Fit(0.9);
        Assert.AreEqual(plain.BestReported, plain.FittedLoss, 1e-5, "without averaging the best epoch's weights are returned");
        Assert.AreEqual(averaged.BestReported, averaged.FittedLoss, 1e-5, "the average is what validation scored and what Fit returns");
        Assert.IsTrue(plain.Scores.Zip(averaged.Scores).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "averaging changed the model");
    }

    [TestMethod]
    public void BadMomentumIsRefusedNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.Mlp(new MlpTrainer.Options { WeightAverageMomentum = 1 }).Fit(ml.Data.LoadFromEnumerable(SyntheticData.Binary(20, 1))));
        StringAssert.Contains(error.Message, "WeightAverageMomentum");
    }
}
