using Microsoft.ML.DeepExtensions.Vision.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

[TestClass]
public sealed class IdxFolderTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = IdxTestFiles.TempFolder();

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void FolderOfGzipFilesLoadsTrainAndTestSets()
    {
        IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(4), new byte[] { 0, 1, 1, 0 }, gzip: true);
        IdxTestFiles.Write(_folder, "t10k", IdxTestFiles.Images(2), new byte[] { 1, 0 }, gzip: true);
        File.WriteAllText(Path.Combine(_folder, "README"), "not an IDX file");

        Assert.IsTrue(IdxFolder.IsIdxFolder(_folder));
        var data = new MLContext().Data.LoadIdxFolder(_folder, new[] { "no", "yes" });

        CollectionAssert.AreEqual(new[] { "no", "yes", "yes", "no" }, IdxLoaderTests.Read(data.TrainSet).Select(r => r.Label).ToArray());
        CollectionAssert.AreEqual(new[] { "yes", "no" }, IdxLoaderTests.Read(data.TestSet).Select(r => r.Label).ToArray());
    }

    [TestMethod]
    public void UncompressedFileIsPreferredOverItsGzipTwin()
    {
        IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(4), new byte[] { 0, 1, 1, 0 }, gzip: true);
        IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(3), new byte[] { 1, 1, 1 }, gzip: false);
        IdxTestFiles.Write(_folder, "t10k", IdxTestFiles.Images(2), new byte[] { 1, 0 }, gzip: true);

        var folder = IdxFolder.Find(_folder);

        Assert.AreEqual(Path.Combine(_folder, "train-images-idx3-ubyte"), folder.TrainImages);
        Assert.AreEqual(Path.Combine(_folder, "train-labels-idx1-ubyte"), folder.TrainLabels);
        Assert.AreEqual(Path.Combine(_folder, "t10k-images-idx3-ubyte.gz"), folder.TestImages);
        Assert.AreEqual(3, new MLContext().Data.LoadIdxFolder(_folder).TrainSet.GetRowCount());
    }

    [TestMethod]
    public void DottedAndUpperCaseNamesAreRecognised()
    {
        var (images, labels) = IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(2), new byte[] { 0, 1 }, gzip: false);
        File.Move(images, Path.Combine(_folder, "train-images.idx3-ubyte"));
        File.Move(labels, Path.Combine(_folder, "TRAIN-LABELS.IDX1-UBYTE"));
        IdxTestFiles.Write(_folder, "t10k", IdxTestFiles.Images(2), new byte[] { 1, 0 }, gzip: false);

        var folder = IdxFolder.Find(_folder);

        Assert.AreEqual(Path.Combine(_folder, "train-images.idx3-ubyte"), folder.TrainImages);
        Assert.AreEqual(Path.Combine(_folder, "TRAIN-LABELS.IDX1-UBYTE"), folder.TrainLabels);
    }

    [TestMethod]
    public void MissingFilesAreListed()
    {
        IdxTestFiles.Write(_folder, "train", IdxTestFiles.Images(2), new byte[] { 0, 1 }, gzip: true);
        File.Delete(Path.Combine(_folder, "train-labels-idx1-ubyte.gz"));

        Assert.IsFalse(IdxFolder.IsIdxFolder(_folder));
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new MLContext().Data.LoadIdxFolder(_folder));

        StringAssert.Contains(error.Message, $"IDX folder '{_folder}' lacks 'train-labels-idx1-ubyte[.gz]', 't10k-images-idx3-ubyte[.gz]', 't10k-labels-idx1-ubyte[.gz]'");
    }

    [TestMethod]
    public void MissingFolderIsNamed()
    {
        var missing = Path.Combine(_folder, "absent");

        Assert.IsFalse(IdxFolder.IsIdxFolder(missing));
        var error = Assert.ThrowsExactly<DirectoryNotFoundException>(() => IdxFolder.Find(missing));

        Assert.AreEqual($"IDX folder '{missing}' not found.", error.Message);
    }
}
