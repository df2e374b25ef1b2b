using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

/// <summary>Our detector against OpenCV's CascadeClassifier on identical gray pixels.</summary>
[TestClass]
public sealed class HaarDetectorParityTests
{
    // Cascades of both formats, stumps and trees, with and without tilted features; photos scaled down
    // to keep OpenCV (the slower side here) quick.
    public static IEnumerable<object[]> Cases =>
    [
        ["haarcascade_frontalface_default.xml", "skimage:astronaut.png", 256, 1.1, 3],
        ["haarcascade_frontalface_alt.xml", "opencv:messi5.jpg", 300, 1.1, 3],
        ["haarcascade_frontalface_alt2.xml", "skimage:astronaut.png", 200, 1.05, 2],
        ["haarcascade_frontalface_alt_tree.xml", "skimage:astronaut.png", 256, 1.1, 1],
        ["haarcascade_eye.xml", "skimage:astronaut.png", 256, 1.1, 3],
        ["haarcascade_eye_tree_eyeglasses.xml", "skimage:astronaut.png", 256, 1.1, 2],
        ["haarcascade_fullbody.xml", "skimage:motorcycle_left.png", 256, 1.1, 1],
        ["haarcascade_upperbody.xml", "opencv:basketball1.png", 256, 1.1, 1],
        ["haarcascade_smile.xml", "skimage:astronaut.png", 200, 1.1, 3],
        ["haarcascade_frontalcatface_extended.xml", "skimage:chelsea.png", 200, 1.1, 1],
        ["haarcascade_licence_plate_rus_16stages.xml", "opencv:messi5.jpg", 400, 1.1, 0],
        // A hit on a level's last window row, which OpenCV's row stripes leave out (PyramidLevel.RowLimit).
        ["haarcascade_smile.xml", "skimage:coffee.png", 333, 1.1, 0],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void RawHitsAndGroupedBoxesEqualOpenCv(string cascadeName, string photo, int maxSide, double scaleFactor, int minNeighbors)
    {
        string path = photo.StartsWith("skimage:") ? HaarTestData.SkimagePhoto(photo[8..]) : HaarTestData.OpenCvPhoto(photo[7..]);
        using var gray = HaarTestData.Gray(path, maxSide);
        byte[] pixels = HaarTestData.Pixels(gray);
        using var classifier = new CascadeClassifier(HaarTestData.Cascade(cascadeName));
        var detector = new HaarDetector(HaarCascade.Load(HaarTestData.Cascade(cascadeName)));
        var options = new HaarDetectionOptions { ScaleFactor = scaleFactor, MinNeighbors = minNeighbors };
        // One scan of ours serves both comparisons: Detect is FindWindows followed by GroupAndClip.
        var hits = detector.FindWindows(pixels, gray.Width, gray.Height, gray.Width, options);

        // OpenCV returns the raw hits clipped to the image when grouping is off.
        var expectedRaw = HaarTestData.OpenCvDetect(classifier, gray, scaleFactor, 0);
        var actualRaw = HaarTestData.Sorted(HaarDetector.GroupAndClip(hits, 0, gray.Width, gray.Height).Select(ToRect));
        Assert.IsTrue(expectedRaw.Length > 0, "OpenCV finds nothing; the comparison would be empty.");
        CollectionAssert.AreEqual(expectedRaw, actualRaw, $"raw hits: OpenCV {expectedRaw.Length}, ours {actualRaw.Length}");

        var expected = HaarTestData.OpenCvDetect(classifier, gray, scaleFactor, minNeighbors);
        var actual = HaarTestData.Sorted(HaarDetector.GroupAndClip(hits, minNeighbors, gray.Width, gray.Height).Select(ToRect));
        CollectionAssert.AreEqual(expected, actual, $"grouped: OpenCV [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
    }

    [TestMethod]
    public void ScaleFactorMinSizeAndMaxSizeSelectTheSameLevelsAsOpenCv()
    {
        using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 200);
        byte[] pixels = HaarTestData.Pixels(gray);
        // The smile cascade (36x18 window) fires often, so every setting has hits to compare.
        string cascade = HaarTestData.Cascade("haarcascade_smile.xml");
        using var classifier = new CascadeClassifier(cascade);
        var detector = new HaarDetector(HaarCascade.Load(cascade));
        int compared = 0;
        foreach (var (scaleFactor, min, max) in new[]
        {
            (1.3, new Size(0, 0), new Size(0, 0)),
            (2.0, new Size(0, 0), new Size(0, 0)),
            (1.05, new Size(45, 20), new Size(90, 45)),
            (1.15, new Size(30, 25), new Size(0, 0)),
            (1.1, new Size(0, 0), new Size(60, 0)),
        })
        {
            var options = new HaarDetectionOptions
            {
                ScaleFactor = scaleFactor,
                MinNeighbors = 0,
                MinSize = new System.Drawing.Size(min.Width, min.Height),
                MaxSize = new System.Drawing.Size(max.Width, max.Height),
            };
            var expected = HaarTestData.OpenCvDetect(classifier, gray, scaleFactor, 0, min, max);
            var actual = HaarTestData.Sorted(detector.Detect(pixels, gray.Width, gray.Height, options).Select(ToRect));
            CollectionAssert.AreEqual(expected, actual, $"scale {scaleFactor}, min {min}, max {max}");
            compared += expected.Length;
        }
        Assert.IsTrue(compared > 100, $"Only {compared} raw hits compared.");
    }

    [TestMethod]
    public void OldFormatTreeCascadeDetectsLikeOpenCv()
    {
        // The shipped old-format cascade has stumps only; this writes a tree cascade (with tilted
        // features) in the old layout, inline features and left_node/right_node children, and runs
        // both detectors on it.
        var cascade = HaarCascade.Load(HaarTestData.Cascade("haarcascade_eye_tree_eyeglasses.xml"));
        string path = Path.Combine(Path.GetTempPath(), $"dx-old-tree-{Guid.NewGuid():N}.xml");
        try
        {
            File.WriteAllText(path, OldFormatXml(cascade));
            var reread = HaarCascade.Load(path);
            Assert.IsFalse(reread.IsStumpBased);
            Assert.IsTrue(reread.HasTiltedFeatures);
            using var gray = HaarTestData.Gray(HaarTestData.SkimagePhoto("astronaut.png"), 400);
            byte[] pixels = HaarTestData.Pixels(gray);
            using var classifier = new CascadeClassifier();
            Assert.IsTrue(classifier.Load(path), "OpenCV refused the old-format file.");
            var expected = HaarTestData.OpenCvDetect(classifier, gray, 1.1, 0);
            var actual = HaarTestData.Sorted(new HaarDetector(reread).Detect(pixels, gray.Width, gray.Height, new HaarDetectionOptions { MinNeighbors = 0 }).Select(ToRect));
            Assert.IsTrue(expected.Length > 5, $"Only {expected.Length} raw hits.");
            CollectionAssert.AreEqual(expected, actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string OldFormatXml(HaarCascade cascade)
    {
        static string F(float v) => ((double)v).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var xml = new System.Text.StringBuilder();
        xml.AppendLine("<?xml version=\"1.0\"?>\n<opencv_storage>\n<haarcascade_test type_id=\"opencv-haar-classifier\">");
        xml.AppendLine($"<size>{cascade.WindowWidth} {cascade.WindowHeight}</size>\n<stages>");
        for (int s = 0; s < cascade.Stages.Count; s++)
        {
            xml.AppendLine("<_><trees>");
            foreach (var tree in cascade.Stages[s].Trees)
            {
                xml.AppendLine("<_>");
                foreach (var node in tree.Nodes)
                {
                    var feature = cascade.Features[node.FeatureIndex];
                    xml.Append("<_><feature><rects>");
                    foreach (var r in feature.Rectangles)
                        xml.Append($"<_>{r.X} {r.Y} {r.Width} {r.Height} {F(r.Weight)}</_>");
                    xml.Append($"</rects><tilted>{(feature.Tilted ? 1 : 0)}</tilted></feature><threshold>{F(node.Threshold)}</threshold>");
                    xml.Append(node.Left > 0 ? $"<left_node>{node.Left}</left_node>" : $"<left_val>{F(tree.Leaves[-node.Left])}</left_val>");
                    xml.Append(node.Right > 0 ? $"<right_node>{node.Right}</right_node>" : $"<right_val>{F(tree.Leaves[-node.Right])}</right_val>");
                    xml.AppendLine("</_>");
                }
                xml.AppendLine("</_>");
            }
            xml.AppendLine($"</trees><stage_threshold>{F(cascade.Stages[s].Threshold)}</stage_threshold><parent>{s - 1}</parent><next>-1</next></_>");
        }
        xml.AppendLine("</stages></haarcascade_test>\n</opencv_storage>");
        return xml.ToString();
    }

    private static Rect ToRect(HaarDetection d) => new(d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height);
}
