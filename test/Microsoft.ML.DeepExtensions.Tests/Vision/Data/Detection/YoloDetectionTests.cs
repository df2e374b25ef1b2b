using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

[TestClass]
public sealed class YoloDetectionTests
{
    private DetectionTestFolder _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = new DetectionTestFolder();

    [TestCleanup]
    public void DeleteFolder() => _folder.Dispose();

    private string WriteData(string names, string label = "1 0.5 0.5 0.25 0.5\n")
    {
        _folder.Image("ds/images/train/a.png", 40, 20);
        _folder.Image("ds/images/train/sub/b.jpg", 10, 10);
        _folder.Image("ds/images/val/c.png", 10, 10);
        _folder.Text("ds/labels/train/a.txt", label);
        return _folder.Text("ds/data.yaml", $"path: .\ntrain: images/train\nval: [images/val]\n{names}");
    }

    [TestMethod]
    public void NamesAsListAndBoxLines()
    {
        var yaml = WriteData("nc: 2\nnames: ['cat', 'dog']\n", "1 0.5 0.5 0.25 0.5\n\n0 0.125 0.25 0.25 0.5\n");

        var data = DetectionDataset.ReadYolo(yaml);

        CollectionAssert.AreEqual(new[] { "cat", "dog" }, data.ClassNames.ToArray());
        Assert.AreEqual(2, data.Images.Count, "images are found recursively");
        Assert.AreEqual(_folder.PathOf("ds/images/train/a.png"), data.Images[0].Path);
        var a = data.Images[0].Objects;
        Assert.AreEqual("class 1 (15, 5, 25, 15);class 0 (0, 0, 10, 10)", string.Join(";", a));
        Assert.AreEqual(0, data.Images[1].Objects.Count, "an image without a label file is background");
        Assert.AreEqual(1, DetectionDataset.ReadYolo(yaml, "val").Images.Count, "a split given as a list");
    }

    [TestMethod]
    public void NamesAsMapAndSegmentLines()
    {
        var yaml = WriteData("names:\n  0: cat\n  1: dog\n  2: bird\n", "2 0.25 0.5 0.5 0.5 0.5 1\n");

        var data = DetectionDataset.ReadYolo(yaml);

        CollectionAssert.AreEqual(new[] { "cat", "dog", "bird" }, data.ClassNames.ToArray());
        var o = data.Images[0].Objects.Single();
        Assert.AreEqual("class 2 (10, 10, 20, 20)", o.ToString(), "the polygon's bounds are the box");
        CollectionAssert.AreEqual(new[] { 10f, 10f, 20f, 10f, 20f, 20f }, o.Segmentation!.Polygons.Single());
    }

    [TestMethod]
    public void ListFileSplitsAndRootPath()
    {
        _folder.Image("root/images/x/one.png", 10, 10);
        _folder.Text("root/labels/x/one.txt", "0 0.5 0.5 1 1\n");
        _folder.Text("root/lists/train.txt", "../images/x/one.png\n");
        var yaml = _folder.Text("config/data.yaml", "path: ../root\ntrain: lists/train.txt\nnc: 1\n");

        var data = DetectionDataset.ReadYolo(yaml);

        CollectionAssert.AreEqual(new[] { "0" }, data.ClassNames.ToArray(), "without names, classes are numbered");
        Assert.AreEqual("class 0 (0, 0, 10, 10)", data.Images.Single().Objects.Single().ToString());
    }

    [TestMethod]
    public void BadLabelLinesNameTheFileLineAndRule()
    {
        var cases = new[]
        {
            ("0 0.5 0.5 0.2\n", "line 1: 4 values; a label line is 'class cx cy w h' (5 values) or 'class x1 y1 x2 y2 x3 y3 ...'"),
            ("\n0 0.5 0.5 0.2 0.2 0.3\n", "line 2: 6 values"),
            ("0 0.5 1.5 0.2 0.2\n", "line 1: value 3 is 1.5, outside [0, 1]; YOLO coordinates are normalized by the image's size."),
            ("2 0.5 0.5 0.2 0.2\n", "line 1: class 2 is not below the data set's 2 classes (nc)."),
            ("x 0.5 0.5 0.2 0.2\n", "line 1: class 'x' is not a class index"),
            ("0 0.5 0.5 0 0.2\n", "line 1: box size 0x0.2 is not positive."),
            ("0 0.02 0.5 0.2 0.2\n", "line 1: box (-3.2, 8, 4.8, 12) lies outside the 40x20 image by more than 1 pixel"),
            ("0 0.5 0.5 0.2 abc\n", "line 1: value 5 'abc' is not a number."),
        };
        foreach (var (line, message) in cases)
        {
            var yaml = WriteData("names: [cat, dog]\n", line);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadYolo(yaml), line);
            StringAssert.Contains(error.Message, $"'{_folder.PathOf("ds/labels/train/a.txt")}' {message}");
        }
    }

    [TestMethod]
    public void BadDataYamlIsNamed()
    {
        var cases = new[]
        {
            ("names: [cat, dog\n", "line 5: not valid YAML: While parsing a flow sequence"),
            ("nc: 3\nnames: [cat, dog]\n", "nc is 3 but names holds 2 classes."),
            ("names:\n  0: cat\n  2: dog\n", "names has no class 1; class indices must run 0 to 1 without gaps."),
            ("names: [cat, cat]\n", "class name 'cat' is given more than once"),
            ("nc: two\n", "nc must be a positive integer, got 'two'."),
            ("\n", "has neither names nor nc; the classes are unknown."),
        };
        foreach (var (names, message) in cases)
        {
            var yaml = WriteData(names);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadYolo(yaml), names);
            StringAssert.Contains(error.Message, $"'{yaml}'");
            StringAssert.Contains(error.Message, message);
        }
        var invalid = _folder.Text("bad/data.yaml", "train: [a\nnames: {0: x\n");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadYolo(invalid)).Message, $"'{invalid}': not valid YAML");
        var missingSplit = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadYolo(WriteData("names: [a, b]\n"), "test"));
        StringAssert.Contains(missingSplit.Message, "has no 'test' split; it has 'train', 'val'.");
    }

    [TestMethod]
    public void MissingAndUndecodableImagesAreNamed()
    {
        var yaml = WriteData("names: [a, b]\n");
        _folder.Text("ds/lists/missing.txt", "../images/train/none.png\n");
        File.AppendAllText(yaml, "test: lists/missing.txt\n");
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => DetectionDataset.ReadYolo(yaml, "test"));
        StringAssert.Contains(missing.Message, $"image file '{_folder.PathOf("ds/images/train/none.png")}' not found.");

        _folder.Text("ds/images/train/broken.png", "not a PNG");
        var broken = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadYolo(yaml));
        StringAssert.Contains(broken.Message, $"image file '{_folder.PathOf("ds/images/train/broken.png")}' cannot be decoded");
    }
}
