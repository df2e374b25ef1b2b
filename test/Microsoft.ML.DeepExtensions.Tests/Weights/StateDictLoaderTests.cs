using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Weights;

/// <summary>Loading by name reports missing, unexpected and wrongly-shaped tensors by name, as PyTorch's load_state_dict.</summary>
[TestClass]
public sealed class StateDictLoaderTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static nn.Module<Tensor, Tensor> Network() => nn.Sequential(("fc1", nn.Linear(4, 3)), ("fc2", nn.Linear(3, 2)));

    private static StateDict FileLike(nn.Module network)
    {
        var weights = new StateDict();
        foreach (var (name, tensor) in network.state_dict())
            weights.Add(name, torch.full_like(tensor, 0.5f));
        return weights;
    }

    [TestMethod]
    public void MatchingFileLoadsEveryTensor()
    {
        using var network = Network();
        using var weights = FileLike(network);
        var report = StateDictLoader.Load(network, weights);
        Assert.IsTrue(report.IsExact);
        Assert.AreEqual(4, report.Loaded.Count);
        Assert.AreEqual(0.5f, network.state_dict()["fc2.bias"][1].item<float>());
    }

    [TestMethod]
    public void StrictRefusesMissingAndUnexpectedByName()
    {
        using var network = Network();
        var before = network.state_dict()["fc1.weight"].clone();
        using var weights = new StateDict();
        foreach (var (name, tensor) in network.state_dict().Where(p => p.Key != "fc2.bias"))
            weights.Add(name, torch.full_like(tensor, 0.5f));
        weights.Add("fc3.weight", torch.ones(2, 2));
        var error = Assert.ThrowsExactly<WeightFileException>(() => StateDictLoader.Load(network, weights, source: "net.pt"));
        StringAssert.Contains(error.Message, "Weight file 'net.pt', tensor 'fc2.bias'");
        StringAssert.Contains(error.Message, "missing fc2.bias; unexpected fc3.weight");
        Assert.IsTrue(network.state_dict()["fc1.weight"].equal(before).all().item<bool>(), "nothing copied when refused");

        var report = StateDictLoader.Load(network, weights, strict: false);
        CollectionAssert.AreEqual(new[] { "fc2.bias" }, report.Missing.ToArray());
        CollectionAssert.AreEqual(new[] { "fc3.weight" }, report.Unexpected.ToArray());
        Assert.AreEqual("3 tensors loaded, 1 missing (fc2.bias), 1 unexpected (fc3.weight).", report.ToString());
    }

    [TestMethod]
    public void WrongShapesAreRefusedUnlessReinitializable()
    {
        using var network = Network();
        using var weights = new StateDict();
        foreach (var (name, tensor) in network.state_dict())
            weights.Add(name, name.StartsWith("fc2", StringComparison.Ordinal) ? torch.zeros(name.EndsWith("weight") ? new long[] { 5, 3 } : new long[] { 5 }) : tensor.clone());
        var error = Assert.ThrowsExactly<WeightFileException>(() => StateDictLoader.Load(network, weights, strict: false));
        StringAssert.Contains(error.Message, "fc2.weight: [5, 3] in the file, [2, 3] in the network");

        var report = StateDictLoader.Load(network, weights, reinitializable: new HashSet<string> { "fc2.weight", "fc2.bias" });
        CollectionAssert.AreEqual(new[] { "fc2.weight", "fc2.bias" }, report.Reinitialized.ToArray());
        Assert.AreEqual(2, report.Loaded.Count);
    }

    [TestMethod]
    public void NamesAreMappedToTheFiles()
    {
        using var network = Network();
        using var weights = new StateDict();
        foreach (var (name, tensor) in network.state_dict())
            weights.Add(name.Replace("fc", "layers.", StringComparison.Ordinal), torch.full_like(tensor, 2f));
        var report = StateDictLoader.Load(network, weights, name => name.Replace("fc", "layers.", StringComparison.Ordinal));
        Assert.IsTrue(report.IsExact);
        CollectionAssert.Contains(report.Loaded.ToArray(), "layers.1.weight");
    }
}
