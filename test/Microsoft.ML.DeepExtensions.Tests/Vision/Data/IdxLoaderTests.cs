using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

[TestClass]
public sealed class IdxLoaderTests
{
    private static readonly byte[] Labels = { 2, 0, 1, 2, 1 };
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = IdxTestFiles.TempFolder();

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RowsComeInFileOrderWithPixelsScaledToUnitRange(bool gzip)
    {
        var images = IdxTestFiles.Images(Labels.Length);
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", images, Labels, gzip);

        var data = new MLContext(seed: 1).Data.LoadIdx(imagesFile, labelsFile);

        Assert.AreEqual(Labels.Length, data.GetRowCount());
        Assert.AreEqual(TextDataViewType.Instance, data.Schema["Label"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 6), data.Schema["Features"].Type);
        var rows = Read(data);
        CollectionAssert.AreEqual(new[] { "2", "0", "1", "2", "1" }, rows.Select(r => r.Label).ToArray());
        for (int i = 0; i < Labels.Length; i++)
        {
            var expected = new float[6];
            for (int p = 0; p < 6; p++)
                expected[p] = images[i, p / 3, p % 3] / 255f;
            CollectionAssert.AreEqual(expected, rows[i].Features, $"row {i}");
        }
    }

    [TestMethod]
    public void FeaturesCarryTheImageShape()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);

        var data = new MLContext().Data.LoadIdx(imagesFile, labelsFile);

        Assert.IsTrue(ImageShapeAnnotation.TryRead(data.Schema["Features"], out int channels, out int height, out int width));
        Assert.AreEqual((1, 2, 3), (channels, height, width));
    }

    [TestMethod]
    public void FullRangeBytesMapToZeroAndOne()
    {
        var images = new byte[2, 1, 2] { { { 0, 255 } }, { { 128, 1 } } };
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", images, new byte[] { 0, 1 }, gzip: false);

        var rows = Read(new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        CollectionAssert.AreEqual(new[] { 0f, 1f }, rows[0].Features);
        CollectionAssert.AreEqual(new[] { 128 / 255f, 1 / 255f }, rows[1].Features);
    }

    [TestMethod]
    public void ClassNamesReplaceLabelNumbers()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: true);

        var rows = Read(new MLContext().Data.LoadIdx(imagesFile, labelsFile, new[] { "zero", "one", "two" }));

        CollectionAssert.AreEqual(new[] { "two", "zero", "one", "two", "one" }, rows.Select(r => r.Label).ToArray());
    }

    [TestMethod]
    public void LabelWithoutClassNameIsRefused()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile, new[] { "zero", "one" }));

        StringAssert.Contains(error.Message, $"'{labelsFile}' has label 2 at row 0, but only 2 class names were given");
    }

    [TestMethod]
    public void DuplicateClassNamesAreRefused()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);

        var error = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile, new[] { "a", "b", "a" }));

        StringAssert.Contains(error.Message, "classNames holds 'a' more than once");
    }

    [TestMethod]
    public void CountMismatchNamesBothFiles()
    {
        var (imagesFile, _) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(5), Labels, gzip: false);
        var (_, labelsFile) = IdxTestFiles.Write(_folder, "t10k", IdxTestFiles.Images(4), new byte[] { 0, 1, 2, 0 }, gzip: false);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        StringAssert.Contains(error.Message, $"'{imagesFile}' holds 5 images but labels file '{labelsFile}' holds 4 labels");
    }

    [TestMethod]
    public void LabelsFileGivenAsImagesIsRefusedByItsMagicNumber()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: true);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(labelsFile, imagesFile));

        StringAssert.Contains(error.Message, $"IDX images file '{labelsFile}' has magic number 0x00000801, expected 0x00000803");
        StringAssert.Contains(error.Message, "It holds unsigned byte values in 1 dimension.");
    }

    [TestMethod]
    public void FileOfAnotherFormatIsRefused()
    {
        var (_, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);
        var png = Path.Combine(_folder, "not-idx.png");
        File.WriteAllBytes(png, new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(png, labelsFile));

        StringAssert.Contains(error.Message, $"'{png}' has magic number 0x89504E47");
        StringAssert.Contains(error.Message, "starts with two zero bytes");
    }

    [TestMethod]
    public void FloatIdxIsRefusedNamingItsType()
    {
        var (_, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);
        var floats = Path.Combine(_folder, "floats-idx3");
        File.WriteAllBytes(floats, IdxTestFiles.Bytes(new[] { 1, 1, 1 }, new byte[4], magic: 0x0D03));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(floats, labelsFile));

        StringAssert.Contains(error.Message, "It holds float values in 3 dimensions.");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TruncatedFileIsRefused(bool gzip)
    {
        var pixels = new byte[5 * 2 * 3];
        var imagesFile = Path.Combine(_folder, "train-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        var bytes = IdxTestFiles.Bytes(new[] { 5, 2, 3 }, pixels)[..^7];
        File.WriteAllBytes(imagesFile, gzip ? IdxTestFiles.Gzip(bytes) : bytes);
        var (_, labelsFile) = IdxTestFiles.Write(_folder, "labels", IdxTestFiles.Images(5), Labels, gzip: false);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        StringAssert.Contains(error.Message, $"IDX images file '{imagesFile}' is truncated: its header [5, 2, 3] declares 30 bytes of data, but only 23 follow.");
    }

    [TestMethod]
    public void CutGzipStreamIsRefusedNamingTheFile()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(40), new byte[40], gzip: true);
        var gzip = File.ReadAllBytes(imagesFile);
        File.WriteAllBytes(imagesFile, gzip[..(gzip.Length / 2)]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        StringAssert.Contains(error.Message, $"IDX images file '{imagesFile}'");
        Assert.IsTrue(error.Message.Contains("truncated") || error.Message.Contains("not valid gzip"), error.Message);
    }

    [TestMethod]
    public void CorruptGzipStreamIsRefusedNamingTheFile()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(40), new byte[40], gzip: true);
        var gzip = File.ReadAllBytes(imagesFile);
        // The last 8 bytes are the CRC-32 and length of the uncompressed data: a flipped CRC bit must be caught.
        gzip[^8] ^= 0x01;
        File.WriteAllBytes(imagesFile, gzip);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        StringAssert.Contains(error.Message, $"IDX images file '{imagesFile}' is not valid gzip data");
    }

    [TestMethod]
    public void TrailingBytesAreRefused()
    {
        var imagesFile = Path.Combine(_folder, "train-images-idx3-ubyte");
        File.WriteAllBytes(imagesFile, IdxTestFiles.Bytes(new[] { 5, 2, 3 }, new byte[31]));
        var (_, labelsFile) = IdxTestFiles.Write(_folder, "labels", IdxTestFiles.Images(5), Labels, gzip: false);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadIdx(imagesFile, labelsFile));

        StringAssert.Contains(error.Message, "has bytes after the 30 bytes of data its header [5, 2, 3] declares");
    }

    [TestMethod]
    public void MissingFileIsNamed()
    {
        var missing = Path.Combine(_folder, "nothing-here.gz");

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new MLContext().Data.LoadIdx(missing, missing));

        Assert.AreEqual($"IDX images file '{missing}' not found.", error.Message);
    }

    [TestMethod]
    public void ShuffledCursorVisitsEveryRowOnceInAnotherOrder()
    {
        const int count = 60;
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(count), labels, gzip: false);
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadIdx(imagesFile, labelsFile);

        var ordered = Read(data);
        var shuffled = Read(ml.Data.ShuffleRows(data, seed: 5));
        var shuffledIds = ShuffledIds(data, new Random(7));

        Assert.IsTrue(data.CanShuffle);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, count).Select(i => (ulong)i).ToArray(), shuffledIds);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, count).Select(i => (ulong)i).ToArray(), shuffledIds);
        CollectionAssert.AreEquivalent(ordered.Select(Key).ToArray(), shuffled.Select(Key).ToArray());
        CollectionAssert.AreNotEqual(ordered.Select(Key).ToArray(), shuffled.Select(Key).ToArray());

        static string Key(Row row) => row.Label + ":" + string.Join(",", row.Features);
    }

    [TestMethod]
    public void GetterOfTheWrongTypeIsRefused()
    {
        var (imagesFile, labelsFile) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(Labels.Length), Labels, gzip: false);
        var data = new MLContext().Data.LoadIdx(imagesFile, labelsFile);
        using var cursor = data.GetRowCursor(data.Schema);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<double>>(data.Schema["Features"]));

        StringAssert.Contains(error.Message, "Invalid TValue in GetGetter");
    }

    private static ulong[] ShuffledIds(IDataView data, Random random)
    {
        using var cursor = data.GetRowCursor(Array.Empty<DataViewSchema.Column>(), random);
        var id = cursor.GetIdGetter();
        var ids = new List<ulong>();
        DataViewRowId value = default;
        while (cursor.MoveNext())
        {
            id(ref value);
            ids.Add(value.Low);
        }
        return ids.ToArray();
    }

    internal static List<Row> Read(IDataView data)
    {
        var rows = new List<Row>();
        using var cursor = data.GetRowCursor(data.Schema);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema["Label"]);
        var features = cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]);
        ReadOnlyMemory<char> labelValue = default;
        VBuffer<float> featureValues = default;
        while (cursor.MoveNext())
        {
            label(ref labelValue);
            features(ref featureValues);
            rows.Add(new Row(labelValue.ToString(), featureValues.DenseValues().ToArray()));
        }
        return rows;
    }

    internal sealed record Row(string Label, float[] Features);
}
