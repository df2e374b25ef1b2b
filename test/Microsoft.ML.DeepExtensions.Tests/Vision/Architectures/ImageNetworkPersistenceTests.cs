using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Architectures;

/// <summary>The definition saved in model.zip rebuilds the same network; a custom architecture must be registered to load.</summary>
[TestClass]
public sealed class ImageNetworkPersistenceTests
{
    /// <summary>Starts LibTorch the library's way (idle OpenMP workers sleep) before any test touches a tensor.</summary>
    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    private static byte[] Save(NetworkDefinition network)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            network.Save(writer);
        return stream.ToArray();
    }

    private static NetworkDefinition Load(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var network = NetworkDefinition.Load(reader);
        Assert.AreEqual(bytes.Length, reader.BaseStream.Position, "everything read");
        return network;
    }

    [TestMethod]
    public void BuiltInDefinitionRoundTrips()
    {
        var original = new ImageNetwork(ImageArchitectures.Get("vgg16-bn"), new long[] { 3, 64, 48 }, 17);
        var loaded = (ImageNetwork)Load(Save(original));
        Assert.AreEqual("image-classifier", loaded.Kind);
        Assert.AreSame(ImageArchitectures.Vgg16BatchNorm, loaded.Architecture);
        CollectionAssert.AreEqual(new long[] { 3, 64, 48 }, loaded.InputShape);
        Assert.AreEqual(17, loaded.Classes);
        Assert.AreEqual(17, loaded.OutputSize);
        Assert.AreEqual(original.Summary().ToString(), loaded.Summary().ToString());
    }

    [TestMethod]
    public void LoadedDefinitionTakesTheSavedWeights()
    {
        using var scope = torch.NewDisposeScope();
        var definition = new ImageNetwork(ImageArchitectures.SmallCnn, new long[] { 1, 12, 12 }, 4);
        using var original = definition.Build();
        using var rebuilt = Load(Save(definition)).Build();
        original.eval();
        rebuilt.eval();
        rebuilt.load_state_dict(original.state_dict());
        using var noGrad = torch.no_grad();
        var input = torch.randn(3, 1, 12, 12);
        Assert.IsTrue(original.call(input).allclose(rebuilt.call(input)));
    }

    [TestMethod]
    public void CustomArchitectureLoadsOnlyWhenRegistered()
    {
        const string name = "persisted-custom-test";
        var architecture = ImageArchitectures.Register(name, (shape, classes) => nn.Sequential(nn.Flatten(), nn.Linear(shape[0] * shape[1] * shape[2], classes)));
        byte[] saved;
        try
        {
            saved = Save(new ImageNetwork(architecture, new long[] { 1, 4, 4 }, 2));
            var loaded = (ImageNetwork)Load(saved);
            Assert.AreEqual(name, loaded.Architecture.Name);
        }
        finally
        {
            ImageArchitectures.Unregister(name);
        }

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Load(saved));
        StringAssert.Contains(e.Message, $"image architecture '{name}', which is not built in and not registered in this process");
        StringAssert.Contains(e.Message, $"ImageArchitectures.Register(\"{name}\", (inputShape, classes) => ...)");
    }
}
