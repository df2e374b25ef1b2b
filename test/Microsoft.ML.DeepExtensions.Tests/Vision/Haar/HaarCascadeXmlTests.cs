using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

[TestClass]
public sealed class HaarCascadeXmlTests
{
    [TestMethod]
    public void ReadsEveryShippedCascadeInBothFormats()
    {
        foreach (string path in Directory.GetFiles(HaarTestData.CascadeFolder, "haarcascade_*.xml"))
        {
            var cascade = HaarCascade.Load(path);
            using var opencv = new CascadeClassifier(path);
            var window = opencv.GetOriginalWindowSize();
            Assert.AreEqual(window.Width, cascade.WindowWidth, path);
            Assert.AreEqual(window.Height, cascade.WindowHeight, path);
            Assert.IsTrue(cascade.Stages.Count > 0, path);
        }
    }

    [TestMethod]
    public void OldFormatBecomesOneFeaturePerNodeWithLeavesInOrder()
    {
        var cascade = HaarCascade.Load(HaarTestData.Cascade("haarcascade_licence_plate_rus_16stages.xml"));
        Assert.AreEqual(64, cascade.WindowWidth);
        Assert.AreEqual(16, cascade.WindowHeight);
        Assert.AreEqual(16, cascade.Stages.Count);
        Assert.AreEqual(cascade.Stages.Sum(s => s.Trees.Sum(t => t.Nodes.Count)), cascade.Features.Count);
        // First tree of the file: rects "32 2 8 6 -1." and "32 4 8 2 3.", threshold 1.6915600746870041e-002.
        var first = cascade.Stages[0].Trees[0];
        Assert.IsTrue(first.IsStump);
        Assert.AreEqual((float)1.6915600746870041e-002, first.Nodes[0].Threshold);
        Assert.AreEqual((float)-9.5547717809677124e-001, first.Leaves[0]);
        Assert.AreEqual(new HaarRectangle(32, 4, 8, 2, 3f), cascade.Features[first.Nodes[0].FeatureIndex].Rectangles[1]);
        Assert.AreEqual((float)-9.1314977407455444e-001, cascade.Stages[^1].Threshold);
    }

    [TestMethod]
    public void OldFormatTreesWithChildNodesAreRead()
    {
        string xml = """
            <?xml version="1.0"?>
            <opencv_storage>
            <tiny type_id="opencv-haar-classifier">
              <size>4 4</size>
              <stages><_><trees><_>
                <_><feature><rects><_>0 0 2 2 -1.</_><_>1 1 1 1 4.</_></rects><tilted>0</tilted></feature>
                  <threshold>0.5</threshold><left_val>-1.</left_val><right_node>1</right_node></_>
                <_><feature><rects><_>2 0 2 2 -1.</_><_>2 0 1 1 4.</_></rects><tilted>1</tilted></feature>
                  <threshold>-0.25</threshold><left_val>0.75</left_val><right_val>2.</right_val></_>
              </_></trees><stage_threshold>0.1</stage_threshold><parent>-1</parent><next>-1</next></_></stages>
            </tiny>
            </opencv_storage>
            """;
        var cascade = HaarCascade.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml)), "tiny.xml");
        var tree = cascade.Stages[0].Trees[0];
        Assert.AreEqual(new HaarTreeNode(0, 0.5f, 0, 1), tree.Nodes[0]);
        Assert.AreEqual(new HaarTreeNode(1, -0.25f, -1, -2), tree.Nodes[1]);
        CollectionAssert.AreEqual(new[] { -1f, 0.75f, 2f }, tree.Leaves.ToArray());
        Assert.IsTrue(cascade.Features[1].Tilted);
        Assert.IsFalse(tree.IsStump);
    }

    [TestMethod]
    public void WrittenCascadeReadsBackIdentically()
    {
        foreach (string name in new[] { "haarcascade_frontalface_alt_tree.xml", "haarcascade_eye_tree_eyeglasses.xml", "haarcascade_licence_plate_rus_16stages.xml" })
        {
            var original = HaarCascade.Load(HaarTestData.Cascade(name));
            var stream = new MemoryStream();
            original.Save(stream);
            stream.Position = 0;
            var copy = HaarCascade.Load(stream, name);
            AssertSame(original, copy, name);
        }
    }

    [TestMethod]
    public void OpenCvDetectsTheSameWithTheWrittenCascade()
    {
        using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 256);
        foreach (string name in new[] { "haarcascade_frontalface_default.xml", "haarcascade_eye_tree_eyeglasses.xml" })
        {
            string written = Path.Combine(Path.GetTempPath(), $"dx-haar-{Guid.NewGuid():N}.xml");
            try
            {
                HaarCascade.Load(HaarTestData.Cascade(name)).Save(written);
                using var original = new CascadeClassifier(HaarTestData.Cascade(name));
                using var reloaded = new CascadeClassifier();
                Assert.IsTrue(reloaded.Load(written), $"OpenCV refused the written {name}.");
                var expected = HaarTestData.OpenCvDetect(original, gray, 1.1, 0);
                var actual = HaarTestData.OpenCvDetect(reloaded, gray, 1.1, 0);
                Assert.IsTrue(expected.Length > 0, $"{name} finds nothing on the astronaut; the comparison would be empty.");
                CollectionAssert.AreEqual(expected, actual, name);
            }
            finally
            {
                File.Delete(written);
            }
        }
    }

    [TestMethod]
    public void MalformedFilesNameTheFileAndTheElement()
    {
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>x1</stageThreshold><weakClassifiers/></_></stages><features/></cascade></opencv_storage>",
            "stages/_[0]/stageThreshold", "'x1' is not a finite number");
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>LBP</featureType></cascade></opencv_storage>",
            "cascade/featureType", "feature type 'LBP' is not supported");
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 0</internalNodes><leafValues>1 2</leafValues></_></weakClassifiers></_></stages><features/></cascade></opencv_storage>",
            "weakClassifiers/_[0]/internalNodes", "groups of four numbers");
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 5 0.5</internalNodes><leafValues>1 2</leafValues></_></weakClassifiers></_></stages><features/></cascade></opencv_storage>",
            "opencv_storage/cascade", "refers to feature 5, but the cascade has 0 features");
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 0 0.5</internalNodes><leafValues>1 2</leafValues></_></weakClassifiers></_></stages><features><_><rects><_>20 0 8 4 -1.</_></rects></_></features></cascade></opencv_storage>",
            "opencv_storage/cascade", "Feature 0 reads outside the 24x24 window");
        AssertMalformed("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><width>24</width><height>24</height><stages", "bad.xml", "not well-formed XML");
        AssertMalformed("<opencv_storage><something/></opencv_storage>", "opencv_storage/something", "neither a current-format cascade");
    }

    private static void AssertMalformed(string xml, string expectedElement, string expectedRule)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            HaarCascade.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml)), "bad.xml"));
        StringAssert.Contains(e.Message, "'bad.xml'");
        StringAssert.Contains(e.Message, expectedElement);
        StringAssert.Contains(e.Message, expectedRule);
    }

    private static void AssertSame(HaarCascade a, HaarCascade b, string name)
    {
        Assert.AreEqual(a.WindowWidth, b.WindowWidth, name);
        Assert.AreEqual(a.WindowHeight, b.WindowHeight, name);
        Assert.AreEqual(a.Stages.Count, b.Stages.Count, name);
        for (int s = 0; s < a.Stages.Count; s++)
        {
            Assert.AreEqual(a.Stages[s].Threshold, b.Stages[s].Threshold, name);
            Assert.AreEqual(a.Stages[s].Trees.Count, b.Stages[s].Trees.Count, name);
            for (int t = 0; t < a.Stages[s].Trees.Count; t++)
            {
                CollectionAssert.AreEqual(a.Stages[s].Trees[t].Nodes.ToArray(), b.Stages[s].Trees[t].Nodes.ToArray(), name);
                CollectionAssert.AreEqual(a.Stages[s].Trees[t].Leaves.ToArray(), b.Stages[s].Trees[t].Leaves.ToArray(), name);
            }
        }
        Assert.AreEqual(a.Features.Count, b.Features.Count, name);
        for (int f = 0; f < a.Features.Count; f++)
        {
            Assert.AreEqual(a.Features[f].Tilted, b.Features[f].Tilted, name);
            CollectionAssert.AreEqual(a.Features[f].Rectangles.ToArray(), b.Features[f].Rectangles.ToArray(), name);
        }
    }
}
