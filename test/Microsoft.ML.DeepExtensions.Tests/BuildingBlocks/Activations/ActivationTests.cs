using Microsoft.ML.DeepExtensions.Activations;
using TorchSharp;
using static TorchSharp.torch;
using ActivationRegistry = Microsoft.ML.DeepExtensions.Activations.Activations;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks.Activations;

[TestClass]
public sealed class ActivationTests
{
    public static IEnumerable<object[]> GoldenSpecs => Golden.Cases("activations").Select(c => new object[] { c.GetProperty("spec").GetString()! });

    [TestMethod]
    [DynamicData(nameof(GoldenSpecs))]
    public void ApplyMatchesPyTorchValuesAndGradients(string spec)
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Case("activations", spec);
        var input = Golden.Floats(Golden.Section("activations").GetProperty("input")).requires_grad_();

        var output = ActivationRegistry.Get(spec).Apply(input);
        output.sum().backward();

        Golden.AssertClose(golden.GetProperty("output"), output, $"{spec} output");
        Golden.AssertClose(golden.GetProperty("grad"), input.grad!, $"{spec} gradient");
    }

    [TestMethod]
    [DynamicData(nameof(GoldenSpecs))]
    public void ModuleMatchesPyTorch(string spec)
    {
        using var scope = torch.NewDisposeScope();
        using var module = ActivationRegistry.Get(spec).CreateModule();
        var input = Golden.Floats(Golden.Section("activations").GetProperty("input"));

        Golden.AssertClose(Golden.Case("activations", spec).GetProperty("output"), module.call(input), $"{spec} module output");
    }

    [TestMethod]
    public void EveryActivationHasGoldenValues()
    {
        var covered = Golden.Cases("activations").Select(c => ActivationRegistry.Get(c.GetProperty("spec").GetString()!).Name).ToHashSet();
        CollectionAssert.AreEquivalent(ActivationRegistry.Names.ToArray(), covered.ToArray());
    }

    [TestMethod]
    public void RegistryListsTheCheatSheetActivations() =>
        CollectionAssert.AreEqual(new[] { "sigmoid", "tanh", "relu", "leaky-relu", "elu", "softplus" }, ActivationRegistry.Names.ToArray());

    [TestMethod]
    public void FactoriesBuildConfiguredActivations()
    {
        Assert.AreEqual("relu", ActivationRegistry.ReLU.ToString());
        Assert.IsInstanceOfType<Sigmoid>(ActivationRegistry.Sigmoid);
        Assert.IsInstanceOfType<Tanh>(ActivationRegistry.Tanh);
        Assert.AreEqual(0.2, ActivationRegistry.LeakyReLU(0.2).Slope);
        Assert.AreEqual("leaky-relu:slope=0.2", ActivationRegistry.LeakyReLU(0.2).ToString());
        Assert.AreEqual(0.5, ActivationRegistry.Elu(0.5).Alpha);
        Assert.AreEqual("softplus:beta=2,threshold=5", ActivationRegistry.Softplus(2, 5).ToString());
    }

    [TestMethod]
    public void DefaultsAreThoseOfPyTorch()
    {
        Assert.AreEqual(0.01, new LeakyReLU().Slope);
        Assert.AreEqual(1.0, new Elu().Alpha);
        Assert.AreEqual(1.0, new Softplus().Beta);
        Assert.AreEqual(20.0, new Softplus().Threshold);
    }

    [TestMethod]
    [DataRow("softplus:beta=0", "Beta must be a finite positive number, got 0.")]
    [DataRow("elu:alpha=-1", "Alpha must be a finite number, 0 or more, got -1.")]
    public void InvalidHyperparametersAreRefused(string spec, string message)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ActivationRegistry.Get(spec));
        StringAssert.StartsWith(error.Message, message);
    }

    [TestMethod]
    public void ConstructorsRefuseNonFiniteValues()
    {
        StringAssert.StartsWith(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeakyReLU(double.NaN)).Message, "Slope must be a finite number, got NaN.");
        StringAssert.StartsWith(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Softplus(threshold: double.PositiveInfinity)).Message, "Threshold must be a finite number, got Infinity.");
    }
}
