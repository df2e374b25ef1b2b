using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

[TestClass]
public sealed class VocDetectionTests
{
    private DetectionTestFolder _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = new DetectionTestFolder();

    [TestCleanup]
    public void DeleteFolder() => _folder.Dispose();

    private static string Xml(string file, string objects, string size = "<size><width>40</width><height>30</height><depth>3</depth></size>") =>
        $"<annotation>\n  <filename>{file}</filename>\n  {size}\n{objects}</annotation>\n";

    private static string Object(string name, int xmin, int ymin, int xmax, int ymax, int difficult = 0) =>
        $"  <object>\n    <name>{name}</name>\n    <difficult>{difficult}</difficult>\n    <bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>\n  </object>\n";

    private void WriteSample()
    {
        _folder.Image("voc/JPEGImages/2008_01.jpg", 40, 30);
        _folder.Image("voc/JPEGImages/2008_02.jpg", 40, 30);
        _folder.Text("voc/Annotations/2008_01.xml", Xml("2008_01.jpg", Object("dog", 1, 1, 10, 5) + Object("cat", 20, 10, 40, 30, difficult: 1)));
        _folder.Text("voc/Annotations/2008_02.xml", Xml("2008_02.jpg", ""));
        _folder.Text("voc/ImageSets/Main/val.txt", "2008_02\n");
    }

    [TestMethod]
    public void ReadsOneBasedCornersDifficultAndBackground()
    {
        WriteSample();

        var data = DetectionDataset.ReadVoc(_folder.PathOf("voc"));

        CollectionAssert.AreEqual(new[] { "cat", "dog" }, data.ClassNames.ToArray());
        Assert.AreEqual(2, data.Images.Count);
        Assert.AreEqual(_folder.PathOf("voc/JPEGImages/2008_01.jpg"), data.Images[0].Path);
        Assert.AreEqual("class 1 (0, 0, 10, 5);class 0 (19, 9, 40, 30) crowd", string.Join(";", data.Images[0].Objects));
        Assert.AreEqual(0, data.Images[1].Objects.Count);
        var val = DetectionDataset.ReadVoc(_folder.PathOf("voc"), "val");
        Assert.AreEqual(_folder.PathOf("voc/JPEGImages/2008_02.jpg"), val.Images.Single().Path);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, val.ClassNames.ToArray(), "classes come from every annotation, not only the split's");
        Assert.AreEqual(data.Images[0].Objects.Count, DetectionDataset.Read(_folder.PathOf("voc")).Images[0].Objects.Count, "a VOC folder is recognised");
    }

    [TestMethod]
    public void BadAnnotationsNameTheFileLineAndRule()
    {
        WriteSample();
        var file = _folder.PathOf("voc/Annotations/2008_01.xml");
        var cases = new (string Xml, string Message)[]
        {
            (Xml("2008_01.jpg", Object("dog", 1, 1, 10, 5)).Replace("</annotation>", ""), "is not valid XML"),
            (Xml("2008_01.jpg", Object("dog", 1, 1, 50, 5)), "line 4: box (0, 0, 50, 5) lies outside the 40x30 image by more than 1 pixel"),
            (Xml("2008_01.jpg", Object("dog", 5, 1, 4, 5)), "line 4: box (4, 0, 4, 5) has a non-positive size 0x5"),
            (Xml("2008_01.jpg", Object("dog", 1, 1, 10, 5).Replace("<ymax>5</ymax>", "")), "line 7: <bndbox> has no <ymax>."),
            (Xml("2008_01.jpg", Object("dog", 1, 1, 10, 5).Replace("<xmin>1</xmin>", "<xmin>one</xmin>")), "line 7: <xmin> 'one' is not a number."),
            (Xml("2008_01.jpg", Object("dog", 1, 1, 10, 5), "<size><width>41</width><height>30</height></size>"), "size says 41x30, but image file"),
            (Xml("missing.jpg", Object("dog", 1, 1, 10, 5)), $"image file '{_folder.PathOf("voc/JPEGImages/missing.jpg")}' not found."),
        };
        foreach (var (xml, message) in cases)
        {
            File.WriteAllText(file, xml);
            var error = Assert.Throws<Exception>(() => DetectionDataset.ReadVoc(_folder.PathOf("voc")), message);
            Assert.IsTrue(error is InvalidDataException or FileNotFoundException, error.GetType().Name);
            StringAssert.Contains(error.Message, $"'{file}'");
            StringAssert.Contains(error.Message, message);
        }
    }

    [TestMethod]
    public void UnknownClassAndSplitsAreNamed()
    {
        WriteSample();
        var unknown = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.ReadVoc(_folder.PathOf("voc"), classNames: new[] { "cat", "bird" }));
        StringAssert.Contains(unknown.Message, $"'{_folder.PathOf("voc/Annotations/2008_01.xml")}' line 4: class 'dog' is not among the class names (cat, bird).");

        var split = Assert.ThrowsExactly<FileNotFoundException>(() => DetectionDataset.ReadVoc(_folder.PathOf("voc"), "train"));
        StringAssert.Contains(split.Message, "Split 'train' of VOC folder");
        StringAssert.Contains(split.Message, "Splits: val.");

        _folder.Text("voc/ImageSets/Main/test.txt", "2008_01\n2008_09\n");
        var id = Assert.ThrowsExactly<FileNotFoundException>(() => DetectionDataset.ReadVoc(_folder.PathOf("voc"), "test"));
        StringAssert.Contains(id.Message, "test.txt' line 2: image id '2008_09' has no annotation file");

        var notVoc = Assert.ThrowsExactly<DirectoryNotFoundException>(() => DetectionDataset.ReadVoc(_folder.Root));
        StringAssert.Contains(notVoc.Message, "is not a Pascal VOC folder: it has no Annotations/ folder.");
    }
}
