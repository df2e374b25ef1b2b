using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>Reading and writing .weights files (Darknet's own files are checked in <see cref="DarknetParityTests"/>).</summary>
[TestClass]
public sealed class DarknetWeightsTests
{
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void SaveThenLoad_RestoresEveryTensorBitForBit()
    {
        using var scope = torch.NewDisposeScope();
        using var source = RandomNetwork(seed: 1);
        var bytes = Save(source);
        using var target = RandomNetwork(seed: 2);
        using (var stream = new MemoryStream(bytes))
            Assert.AreEqual(DarknetWeightsHeader.Current(), DarknetWeights.Load(target, stream, "layers.weights"));

        var expected = source.state_dict();
        foreach (var (name, tensor) in target.state_dict())
            Assert.IsTrue(Same(tensor, expected[name]), name);
        CollectionAssert.AreEqual(bytes, Save(target));
        Assert.AreEqual((long)bytes.Length - 20, 4 * source.Layers.Sum(DarknetWeights.FloatCount));
    }

    [TestMethod]
    public void Load_ReadsTheOldHeaderWithAnInt32Seen()
    {
        using var scope = torch.NewDisposeScope();
        using var source = RandomNetwork(seed: 1);
        var bytes = Save(source);
        var old = new byte[bytes.Length - 4];
        BitConverter.TryWriteBytes(old.AsSpan(4), 1); // version 0.1.0: seen is an int32
        BitConverter.TryWriteBytes(old.AsSpan(12), 1234);
        bytes.AsSpan(20).CopyTo(old.AsSpan(16));
        using var target = RandomNetwork(seed: 2);
        using (var stream = new MemoryStream(old))
            Assert.AreEqual(new DarknetWeightsHeader(0, 1, 0, 1234), DarknetWeights.Load(target, stream, "old.weights"));
        CollectionAssert.AreEqual(bytes, Save(target));
    }

    [TestMethod]
    public void WrongSizes_AreRefusedNamingTheLayerAndTheCounts()
    {
        using var scope = torch.NewDisposeScope();
        using var network = RandomNetwork(seed: 1);
        var bytes = Save(network);

        // The last layer with weights is [connected] 19 (10 biases, 20 x 10 weights).
        var error = Refused(network, bytes[..^4]);
        StringAssert.Contains(error.Message, "too short for layer 19 ([connected]");
        StringAssert.Contains(error.Message, "needs 210 floats (biases 10, weights 200) but only 209 remain");

        error = Refused(network, [.. bytes, 0, 0, 0, 0, 0, 0, 0, 0]);
        StringAssert.Contains(error.Message, "too long: 8 bytes (2 floats) remain after the last of the cfg's 22 layers");

        error = Refused(network, bytes[..10]);
        StringAssert.Contains(error.Message, "10 bytes is too short for a Darknet weights header");

        // The file of another network: here shorter than the test network needs.
        using var other = new DarknetNetwork(DarknetConfig.Parse("[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=64\nsize=3\nactivation=leaky\n"));
        error = Refused(network, Save(other));
        StringAssert.Contains(error.Message, "too short for layer 4 ([convolutional], ");
        StringAssert.Contains(error.Message, "layers.test.cfg line 45): it needs 2320 floats (biases 16, weights 2304) but only 904 remain");

        Assert.ThrowsExactly<FileNotFoundException>(() => DarknetWeights.Load(network, "/nonexistent/x.weights"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DarknetWeights.Load(network, new MemoryStream(bytes), "x", layerCount: 23));
    }

    [TestMethod]
    public void LayerCount_SavesAndLoadsABackbone()
    {
        using var scope = torch.NewDisposeScope();
        using var source = RandomNetwork(seed: 1);
        using var backbone = new MemoryStream();
        DarknetWeights.Save(source, backbone, layerCount: 5, seen: 64);
        Assert.AreEqual(20 + 4 * source.Layers.Take(5).Sum(DarknetWeights.FloatCount), backbone.Length);

        using var target = RandomNetwork(seed: 2);
        var before = target.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        backbone.Position = 0;
        Assert.AreEqual(64L, DarknetWeights.Load(target, backbone, "backbone.weights", layerCount: 5).Seen);
        var expected = source.state_dict();
        foreach (var (name, tensor) in target.state_dict())
        {
            int layer = int.Parse(name.Split('.')[1]);
            Assert.IsTrue(Same(tensor, layer < 5 ? expected[name] : before[name]), name);
        }

        // Read as a whole network, the backbone is too short.
        var error = Refused(target, backbone.ToArray());
        StringAssert.Contains(error.Message, "too short for layer 7");
    }

    /// <summary>The cfg with every layer type, its weights and batch-norm statistics randomized.</summary>
    internal static DarknetNetwork RandomNetwork(int seed)
    {
        torch.manual_seed(seed);
        var network = new DarknetNetwork(DarknetTestFiles.Config("layers.test"));
        using var noGrad = torch.no_grad();
        foreach (var (_, buffer) in network.named_buffers())
            buffer.copy_(torch.rand_like(buffer).add_(0.5));
        foreach (var (_, parameter) in network.named_parameters())
            parameter.copy_(torch.randn_like(parameter));
        return network;
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static byte[] Save(DarknetNetwork network)
    {
        using var stream = new MemoryStream();
        DarknetWeights.Save(network, stream);
        return stream.ToArray();
    }

    private static DarknetFormatException Refused(DarknetNetwork network, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var error = Assert.ThrowsExactly<DarknetFormatException>(() => DarknetWeights.Load(network, stream, "bad.weights"));
        StringAssert.StartsWith(error.Message, "bad.weights: ");
        return error;
    }
}
