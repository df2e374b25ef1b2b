using System.IO.Compression;
using System.Text;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Tests.Vision.Weights;
using Microsoft.ML.DeepExtensions.Weights;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Weights;

/// <summary>
/// torch.save and safetensors files: the golden ones written by PyTorch 1.13 (generate_torchvision_weights.py in
/// Vision/Weights) read back with their values, ours round-trip, and damaged files give errors naming file and tensor.
/// </summary>
[TestClass]
public sealed class WeightFilesTests
{
    private string _folder = "";

    [ClassInitialize]
    public static void StartTorch(TestContext _) => TorchBackend.EnsureStarted();

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"dx-weights-{Guid.NewGuid():N}")).FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static string Golden(string name) => Path.Combine(TorchvisionGolden.Folder, name);

    private static bool Same(Tensor a, Tensor b) => ImageNetworkWeightsTests.Same(a, b);

    [TestMethod]
    public void TorchSaveAndSafetensorsOfTheSameDictionaryAgree()
    {
        using var pt = WeightFiles.Read(Golden("block.pt"));
        using var st = WeightFiles.Read(Golden("block.safetensors"));
        CollectionAssert.AreEqual(pt.Keys.ToArray(), st.Keys.ToArray(), "names in file order");
        foreach (var (name, tensor) in pt)
            Assert.IsTrue(Same(tensor, st[name]), name);
        Assert.AreEqual(ScalarType.Int64, pt["bn1.num_batches_tracked"].dtype);
        Assert.AreEqual(0, pt["bn1.num_batches_tracked"].shape.Length, "a scalar");
        Assert.AreEqual(12345678901L, pt["bn1.num_batches_tracked"].item<long>(), "an int64 beyond 32 bits");
        Assert.AreEqual(ScalarType.Float16, pt["half_copy"].dtype);
        Assert.AreEqual(ScalarType.BFloat16, st["bfloat16_copy"].dtype);
        CollectionAssert.AreEqual(new long[] { 4, 4, 3, 3 }, pt["conv1.weight"].shape);
        Assert.IsTrue(pt["half_copy"].to_type(ScalarType.Float32).allclose(pt["conv1.weight"], rtol: 1e-3, atol: 1e-3), "the float16 copy has conv1's values");
    }

    [TestMethod]
    [DataRow("copy.pt")]
    [DataRow("copy.safetensors")]
    public void WrittenFilesReadBackIdentically(string name)
    {
        using var original = WeightFiles.Read(Golden("block.pt"));
        string path = Path.Combine(_folder, name);
        WeightFiles.Write(path, original);
        using var copy = WeightFiles.Read(path);
        CollectionAssert.AreEqual(original.Keys.ToArray(), copy.Keys.ToArray());
        foreach (var (key, tensor) in original)
            Assert.IsTrue(Same(tensor, copy[key]), key);
    }

    [TestMethod]
    public void SharedStoragesAndStridedViewsAreRebuiltAsPyTorchDoes()
    {
        // resnet18.pt holds one pool storage viewed by every large weight with torch.as_strided (see the generator).
        using var weights = WeightFiles.Read(Golden("resnet18.pt"));
        var a = weights["layer4.1.conv2.weight"]; // [512, 512, 3, 3], strides (5, 2, 3, 1)
        Assert.AreEqual(a[0, 0, 0, 2].item<float>(), a[0, 1, 0, 0].item<float>(), "element (0,0,0,2) and (0,1,0,0) are the same pool element (offset 2)");
        Assert.AreNotEqual(a[0, 0, 0, 0].item<float>(), a[0, 0, 0, 1].item<float>());
        Assert.IsTrue(a.is_contiguous());
    }

    [TestMethod]
    public void TruncatedCheckpointNamesTheFile()
    {
        string path = Path.Combine(_folder, "truncated.pt");
        var bytes = File.ReadAllBytes(Golden("block.pt"));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path));
        StringAssert.Contains(error.Message, "truncated.pt");
        StringAssert.Contains(error.Message, "damaged or truncated");
    }

    [TestMethod]
    public void TruncatedSafetensorsNamesTheFile()
    {
        string path = Path.Combine(_folder, "truncated.safetensors");
        var bytes = File.ReadAllBytes(Golden("block.safetensors"));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var error = Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path));
        StringAssert.Contains(error.Message, "Weight file '" + path + "'");
        StringAssert.Contains(error.Message, "truncated");

        File.WriteAllBytes(path, bytes[..5]);
        StringAssert.Contains(Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path)).Message, "neither a PyTorch checkpoint");
    }

    [TestMethod]
    public void SafetensorsEntryWithWrongSizeNamesTheTensor()
    {
        string path = Path.Combine(_folder, "bad.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,24]}}");
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((ulong)header.Length));
            stream.Write(header);
            stream.Write(new byte[24]);
        }
        var error = Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path));
        Assert.AreEqual("b", error.TensorName);
        StringAssert.Contains(error.Message, "holds 8 bytes but shape [3] of F32 needs 12");

        File.WriteAllBytes(path, BitConverter.GetBytes(4UL).Concat(Encoding.UTF8.GetBytes("{xx}")).ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path)).Message, "the header is not a JSON object");
    }

    [TestMethod]
    public void PickledCodeIsRefusedByName()
    {
        // A checkpoint whose pickle calls os.system: the reader refuses the global before anything else.
        string path = Path.Combine(_folder, "evil.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var stream = zip.CreateEntry("archive/data.pkl").Open())
        {
            stream.Write(new byte[] { 0x80, 2 }); // PROTO 2
            stream.Write(Encoding.ASCII.GetBytes("cos\nsystem\n")); // GLOBAL os.system
            stream.Write(new byte[] { (byte)'X', 2, 0, 0, 0, (byte)'l', (byte)'s', (byte)')', (byte)'R', (byte)'.' });
        }
        var error = Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(path));
        StringAssert.Contains(error.Message, "'os.system'");
        StringAssert.Contains(error.Message, "save model.state_dict() instead");
    }

    [TestMethod]
    public void OtherFilesGetClearErrors()
    {
        string legacy = Path.Combine(_folder, "legacy.pt");
        File.WriteAllBytes(legacy, new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8 });
        StringAssert.Contains(Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(legacy)).Message, "legacy (pre-1.6) pickle format");

        string zip = Path.Combine(_folder, "notorch.pt");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            archive.CreateEntry("readme.txt");
        StringAssert.Contains(Assert.ThrowsExactly<WeightFileException>(() => WeightFiles.Read(zip)).Message, "has no data.pkl");

        Assert.ThrowsExactly<FileNotFoundException>(() => WeightFiles.Read(Path.Combine(_folder, "absent.pt")));
        using var weights = WeightFiles.Read(Golden("block.pt"));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => WeightFiles.Write(Path.Combine(_folder, "w.onnx"), weights)).Message, "use .safetensors");
    }
}
