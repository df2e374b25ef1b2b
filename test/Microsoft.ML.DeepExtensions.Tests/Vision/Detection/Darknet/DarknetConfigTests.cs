using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>Reading, editing and writing Darknet cfg files, and the errors for bad ones.</summary>
[TestClass]
public sealed class DarknetConfigTests
{
    private const string Tiny = """
        [net]
        width=64
        height=64
        channels=3

        [convolutional]
        batch_normalize=1
        filters=16
        size=3
        stride=1
        pad=1
        activation=leaky

        [convolutional]
        filters=255
        size=1
        stride=1
        activation=linear

        [yolo]
        mask = 0,1,2
        anchors = 10,14,  23,27,  37,58
        classes=80
        num=3
        """;

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestMethod]
    public void ShippedConfigs_SaveBackTheTextTheyWereReadFrom()
    {
        foreach (string name in DarknetTestFiles.ShippedConfigs)
        {
            string text = File.ReadAllText(DarknetTestFiles.ConfigPath(name));
            var config = DarknetConfig.Parse(text, name);
            Assert.AreEqual(text, config.ToText(), name);
        }
    }

    [TestMethod]
    public void SetClassCountAndInputSize_MakeTheEditDarknetsReadmeAsksFor()
    {
        // generate_darknet_golden.py made yolov3*.test.cfg from Darknet's cfgs by hand-written text edits.
        foreach (string name in new[] { "yolov3-tiny", "yolov3" })
        {
            var config = DarknetTestFiles.Config(name);
            config.SetClassCount(4);
            config.SetInputSize(128, 96);
            Assert.AreEqual(File.ReadAllText(DarknetTestFiles.ConfigPath(name + ".test")), config.ToText(), name);
        }
    }

    [TestMethod]
    public void GetYoloLayers_ReadsYoloV3sHeads()
    {
        var heads = DarknetTestFiles.Config("yolov3").GetYoloLayers();
        Assert.AreEqual(3, heads.Count);
        CollectionAssert.AreEqual(new[] { 82, 94, 106 }, heads.Select(h => h.LayerIndex).ToArray());
        CollectionAssert.AreEqual(new[] { 6, 7, 8 }, heads[0].Mask.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, heads[2].Mask.ToArray());
        Assert.AreEqual(9, heads[0].AllAnchors.Count);
        Assert.AreEqual((373f, 326f), heads[0].Anchors[2]);
        Assert.AreEqual(80, heads[1].Classes);
        Assert.AreEqual(0.7f, heads[1].IgnoreThreshold);
        Assert.AreEqual(1f, heads[1].TruthThreshold);
        Assert.AreEqual(1f, heads[1].ScaleXY);
        Assert.AreEqual(255, heads[1].Channels);
    }

    [TestMethod]
    public void SetAnchors_WithMasks_ResizesTheHeads()
    {
        using var scope = torch.NewDisposeScope();
        var config = DarknetTestFiles.Config("yolov3-tiny");
        var anchors = Enumerable.Range(1, 7).Select(i => (8f * i, 6f * i)).ToArray();
        config.SetAnchors(anchors, new[] { new[] { 4, 5, 6 }, new[] { 0, 1, 2, 3 } });
        config.SetInputSize(64, 64);
        using var network = new DarknetNetwork(config, device: new Device(DeviceType.META));
        Assert.AreEqual(3, network.YoloLayers[0].AnchorCount);
        Assert.AreEqual(4, network.YoloLayers[1].AnchorCount);
        Assert.AreEqual((48f, 36f), network.YoloLayers[0].Anchors[1]);
        Assert.AreEqual(4 * 85, network.Layers[22].OutputShape.Channels);
        Assert.AreEqual("7", config.Layers[16].Get("num"));

        var error = Assert.ThrowsExactly<ArgumentException>(() => config.SetAnchors(anchors.Take(2).ToArray()));
        StringAssert.Contains(error.Message, "does not index the 2 anchors");
    }

    [TestMethod]
    public void Set_ChangesOnlyTheEditedLine()
    {
        var config = DarknetConfig.Parse(Tiny, "tiny.cfg");
        config.Layers[0].Set("filters", 32);
        config.Layers[0].Set("dontsave", 1);
        var expected = Tiny.Replace("filters=16", "filters=32").Replace("activation=leaky", "activation=leaky\ndontsave=1") + "\n";
        Assert.AreEqual(expected, config.ToText());
        Assert.AreEqual(32, config.Clone().Layers[0].GetInt("filters", 0));
    }

    [TestMethod]
    public void BadFiles_AreRefusedWithFileLineAndKey()
    {
        AssertRefused(Tiny.Replace("[yolo]", "[bogus]"), "tiny.cfg:20:", "unknown section type [bogus]");
        AssertRefused(Tiny.Replace("filters=16", "filtres=16"), "tiny.cfg:8:", "unknown key 'filtres'");
        AssertRefused(Tiny.Replace("filters=16", "filters"), "tiny.cfg:8:", "expected 'key=value'");
        AssertRefused(Tiny.Replace("filters=16", "filters=16\nfilters=8"), "tiny.cfg:9:", "sets 'filters' twice (first on line 8)");
        AssertRefused(Tiny.Replace("[net]", "[convolutional]"), "tiny.cfg:1:", "the first section must be [net]");
        AssertRefused("width=3\n" + Tiny, "tiny.cfg:1:", "before the first [section]");
        AssertRefused(Tiny.Replace("anchors = 10,14,  23,27,  37,58", "anchors = 10,14,  23,27,  37"), "tiny.cfg:22:", "(width, height) pairs");
        AssertRefused(Tiny.Replace("mask = 0,1,2", "mask = 0,1,5"), "tiny.cfg:21:", "'mask' index 5");
    }

    [TestMethod]
    public void BadLayers_AreRefusedWhenTheNetworkIsBuilt()
    {
        AssertBuildRefused(Tiny.Replace("filters=16", "filters=25S"), "tiny.cfg:8:", "'filters' must be an integer, got '25S'");
        AssertBuildRefused(Tiny.Replace("activation=leaky", "activation=leakey"), "tiny.cfg:12:", "unknown activation 'leakey'");
        AssertBuildRefused(Tiny.Replace("filters=255", "filters=254"), "tiny.cfg:20:", "expects 3 anchors x (80 classes + 5) = 255 input channels, but the previous layer outputs 254");
        AssertBuildRefused(Tiny.Replace("[yolo]", "[route]\nlayers=-1,4\n\n[yolo]"), "tiny.cfg:21:", "refers to layer 4");
        AssertBuildRefused(Tiny.Replace("[yolo]", "[shortcut]\nfrom=-3\n\n[yolo]"), "tiny.cfg:21:", "refers to layer -3");
        AssertBuildRefused(Tiny.Replace("size=3\nstride=1\npad=1", "size=99\nstride=1\npad=0"), "tiny.cfg:6:", "smaller than the 99x99 kernel");
        AssertBuildRefused(Tiny.Replace("pad=1", "pad=1\nbinary=1"), "tiny.cfg:12:", "'binary=1'");
    }

    [TestMethod]
    public void Load_NamesAMissingFile()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => DarknetConfig.Load("/nonexistent/x.cfg"));
        StringAssert.Contains(error.Message, "/nonexistent/x.cfg");
    }

    private static void AssertRefused(string text, string location, string rule)
    {
        var error = Assert.ThrowsExactly<DarknetFormatException>(() => DarknetConfig.Parse(text, "tiny.cfg").GetYoloLayers());
        StringAssert.StartsWith(error.Message, location, error.Message);
        StringAssert.Contains(error.Message, rule);
    }

    private static void AssertBuildRefused(string text, string location, string rule)
    {
        var error = Assert.ThrowsExactly<DarknetFormatException>(() =>
        {
            using var network = new DarknetNetwork(DarknetConfig.Parse(text, "tiny.cfg"), device: new Device(DeviceType.META));
        });
        StringAssert.StartsWith(error.Message, location, error.Message);
        StringAssert.Contains(error.Message, rule);
    }
}
