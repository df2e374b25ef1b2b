using OpenCvSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar;

/// <summary>
/// Cascades and photos from Debian packages (opencv-data, opencv-doc, python3-skimage), and the
/// grayscale pixels both detectors are fed (decoded once by OpenCV, so JPEG decoders cannot differ).
/// A missing package fails the test with its name instead of skipping.
/// </summary>
internal static class HaarTestData
{
    public const string CascadeFolder = "/usr/share/opencv4/haarcascades";
    public const string OpenCvPhotoFolder = "/usr/share/doc/opencv-doc/examples/data";
    public const string SkimagePhotoFolder = "/usr/lib/python3/dist-packages/skimage/data";

    public static string Cascade(string name) =>
        Existing(Path.Combine(CascadeFolder, name), "opencv-data");

    public static string OpenCvPhoto(string name) =>
        Existing(Path.Combine(OpenCvPhotoFolder, name), "opencv-doc");

    public static string SkimagePhoto(string name) =>
        Existing(Path.Combine(SkimagePhotoFolder, name), "python3-skimage");

    /// <summary>The photo as 8-bit gray, scaled so that its longer side is at most <paramref name="maxSide"/> pixels.</summary>
    public static Mat Gray(string path, int maxSide)
    {
        using var color = Cv2.ImRead(path, ImreadModes.Color);
        if (color.Empty())
            throw new InvalidOperationException($"OpenCV could not decode '{path}'.");
        var gray = new Mat();
        Cv2.CvtColor(color, gray, ColorConversionCodes.BGR2GRAY);
        double scale = (double)maxSide / Math.Max(gray.Width, gray.Height);
        if (scale >= 1)
            return gray;
        var small = new Mat();
        Cv2.Resize(gray, small, new Size(Math.Round(gray.Width * scale), Math.Round(gray.Height * scale)), 0, 0, InterpolationFlags.Area);
        gray.Dispose();
        return small;
    }

    /// <summary>The pixels of an 8-bit single-channel image, row after row without padding.</summary>
    public static byte[] Pixels(Mat gray)
    {
        int width = gray.Width, height = gray.Height;
        var bytes = new byte[width * height];
        for (int y = 0; y < height; y++)
            System.Runtime.InteropServices.Marshal.Copy(gray.Ptr(y), bytes, y * width, width);
        return bytes;
    }

    /// <summary>
    /// OpenCV's detections (OpenCvSharp has no overload returning the neighbour counts; those are
    /// checked against <c>Cv2.GroupRectangles</c> separately), sorted for comparison.
    /// With <paramref name="minNeighbors"/> 0 these are the raw, ungrouped window hits (clipped to the image).
    /// </summary>
    public static Rect[] OpenCvDetect(CascadeClassifier classifier, Mat gray, double scaleFactor, int minNeighbors,
        Size? minSize = null, Size? maxSize = null) =>
        Sorted(classifier.DetectMultiScale(gray, scaleFactor, minNeighbors, 0, minSize, maxSize));

    public static Rect[] Sorted(IEnumerable<Rect> boxes) =>
        boxes.OrderBy(b => b.Y).ThenBy(b => b.X).ThenBy(b => b.Width).ThenBy(b => b.Height).ToArray();

    private static string Existing(string path, string package) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"'{path}' is missing: install the Debian package {package}.");
}
