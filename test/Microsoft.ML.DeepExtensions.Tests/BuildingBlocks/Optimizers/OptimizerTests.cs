using Microsoft.ML.DeepExtensions.Optimizers;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;
using OptimizerRegistry = Microsoft.ML.DeepExtensions.Optimizers.Optimizers;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks.Optimizers;

[TestClass]
public sealed class OptimizerTests
{
    public static IEnumerable<object[]> GoldenSpecs => Golden.Cases("optimizers").Select(c => new object[] { c.GetProperty("spec").GetString()! });

    [TestMethod]
    [DynamicData(nameof(GoldenSpecs))]
    public void StepsMatchPyTorch(string spec)
    {
        using var scope = torch.NewDisposeScope();
        var section = Golden.Section("optimizers");
        var expected = Golden.Case("optimizers", spec).GetProperty("steps").EnumerateArray().ToArray();
        var gradients = Golden.Floats(section.GetProperty("gradients"));
        var parameter = new Parameter(Golden.Floats(section.GetProperty("start")));
        using var optimizer = OptimizerRegistry.Get(spec).Create([parameter]);

        for (int step = 0; step < expected.Length; step++)
        {
            optimizer.zero_grad();
            (parameter * gradients[step]).sum().backward(); // the gradient of this objective is gradients[step]
            optimizer.step();
            Golden.AssertClose(expected[step], parameter, $"{spec} after step {step + 1}");
        }
    }

    [TestMethod]
    public void EveryOptimizerHasGoldenValues()
    {
        var covered = Golden.Cases("optimizers").Select(c => OptimizerRegistry.Get(c.GetProperty("spec").GetString()!).Name).ToHashSet();
        CollectionAssert.AreEquivalent(OptimizerRegistry.Names.ToArray(), covered.ToArray());
    }

    [TestMethod]
    [DataRow("sgd", 0.01)]
    [DataRow("momentum", 0.01)]
    [DataRow("adagrad", 0.01)]
    [DataRow("adadelta", 1.0)]
    [DataRow("rmsprop", 0.01)]
    [DataRow("adam", 0.001)]
    [DataRow("adamw", 0.001)]
    public void DefaultLearningRatesAreThoseOfPyTorch(string name, double learningRate) =>
        Assert.AreEqual(learningRate, OptimizerRegistry.Get(name).LearningRate);

    [TestMethod]
    public void AdamWDecaysWeightsByDefaultAsPyTorch()
    {
        Assert.AreEqual(0.01, new AdamW().WeightDecay);
        Assert.AreEqual(0.0, new Adam().WeightDecay);
        Assert.AreEqual("adamw:weight-decay=0", new AdamW(weightDecay: 0).ToString());
    }

    [TestMethod]
    public void SetLearningRateChangesTheNextStep()
    {
        using var scope = torch.NewDisposeScope();
        var parameter = new Parameter(torch.tensor(new[] { 1f, -2f }));
        using var optimizer = new Sgd(learningRate: 0.1).Create([parameter]);

        Optimizer.SetLearningRate(optimizer, 0.5);
        (parameter * torch.tensor(new[] { 1f, 2f })).sum().backward();
        optimizer.step();

        Assert.IsTrue(optimizer.ParamGroups.All(group => group.LearningRate == 0.5));
        Golden.AssertClose(0.5, parameter[0].item<float>(), "1 - 0.5·1");
        Golden.AssertClose(-3.0, parameter[1].item<float>(), "-2 - 0.5·2");
    }

    [TestMethod]
    public void GetTakesTheLearningRateTheSpecLeavesOut()
    {
        Assert.AreEqual(0.05, OptimizerRegistry.Get("adam", learningRate: 0.05).LearningRate);
        Assert.AreEqual(0.05, OptimizerRegistry.Get("adam:learning-rate=0.05", learningRate: 0.05).LearningRate);
        var conflict = Assert.ThrowsExactly<ArgumentException>(() => OptimizerRegistry.Get("adam:learning-rate=0.1", learningRate: 0.05));
        StringAssert.StartsWith(conflict.Message,
            "The optimizer spec 'adam:learning-rate=0.1' sets learning-rate=0.1, which conflicts with the learning-rate 0.05 given separately.");
    }

    [TestMethod]
    [DataRow("adam:learning-rate=0", "LearningRate must be positive, got 0.")]
    [DataRow("sgd:weight-decay=-0.1", "WeightDecay must be 0 or more, got -0.1.")]
    [DataRow("adam:beta1=1", "Beta1 must be in [0, 1), got 1.")]
    [DataRow("adamw:beta2=-0.5", "Beta2 must be in [0, 1), got -0.5.")]
    [DataRow("adadelta:rho=1.5", "Rho must be in [0, 1], got 1.5.")]
    [DataRow("rmsprop:epsilon=-1e-8", "Epsilon must be 0 or more, got -1E-08.")]
    [DataRow("adagrad:learning-rate-decay=-1", "LearningRateDecay must be 0 or more, got -1.")]
    [DataRow("momentum:dampening=2", "Dampening must be in [0, 1], got 2.")]
    public void InvalidHyperparametersAreRefused(string spec, string message)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OptimizerRegistry.Get(spec));
        StringAssert.StartsWith(error.Message, message);
    }

    [TestMethod]
    [DataRow("momentum:nesterov=true,dampening=0.1", "Nesterov momentum needs a positive momentum and zero dampening, got momentum 0.9 and dampening 0.1.")]
    [DataRow("momentum:nesterov=true,momentum=0", "Nesterov momentum needs a positive momentum and zero dampening, got momentum 0 and dampening 0.")]
    public void NesterovNeedsMomentumWithoutDampening(string spec, string message)
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => OptimizerRegistry.Get(spec));
        StringAssert.StartsWith(error.Message, message);
        Assert.AreEqual("nesterov", error.ParamName);
    }
}
