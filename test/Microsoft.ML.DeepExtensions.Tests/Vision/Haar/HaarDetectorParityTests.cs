using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

/// <summary>Our detector against OpenCV's CascadeClassifier on identical gray pixels.</summary>
[TestClass]
public sealed class HaarDetectorParityTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["haarcascade_frontalface_default.xml", "skimage:astronaut.png", 320, 1.1, 3],
        ["haarcascade_frontalface_alt.xml", "opencv:messi5.jpg", 400, 1.1, 3],
        ["haarcascade_frontalface_alt2.xml", "skimage:astronaut.png", 256, 1.05, 2],
        ["haarcascade_frontalface_alt_tree.xml", "skimage:astronaut.png", 300, 1.1, 1],
        ["haarcascade_eye.xml", "skimage:astronaut.png", 300, 1.1, 3],
        ["haarcascade_eye_tree_eyeglasses.xml", "skimage:astronaut.png", 300, 1.1, 2],
        ["haarcascade_fullbody.xml", "opencv:messi5.jpg", 400, 1.05, 1],
        ["haarcascade_licence_plate_rus_16stages.xml", "opencv:messi5.jpg", 400, 1.1, 0],
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
        var options = new HaarDetectionOptions { ScaleFactor = scaleFactor, MinNeighbors = 0 };

        var expectedRaw = HaarTestData.OpenCvDetect(classifier, gray, scaleFactor, 0);
        var actualRaw = HaarTestData.Sorted(detector.Detect(pixels, gray.Width, gray.Height, options).Select(ToRect));
        Assert.IsTrue(expectedRaw.Length > 0, "OpenCV finds nothing; the comparison would be empty.");
        CollectionAssert.AreEqual(expectedRaw, actualRaw, $"raw hits: OpenCV {expectedRaw.Length}, ours {actualRaw.Length}");

        options.MinNeighbors = minNeighbors;
        var expected = HaarTestData.OpenCvDetect(classifier, gray, scaleFactor, minNeighbors);
        var actual = HaarTestData.Sorted(detector.Detect(pixels, gray.Width, gray.Height, options).Select(ToRect));
        CollectionAssert.AreEqual(expected, actual, $"grouped: OpenCV [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
    }

    private static Rect ToRect(HaarDetection d) => new(d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height);
}
