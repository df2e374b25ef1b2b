using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace DeepExtensions.HaarBench;

/// <summary>
/// <c>haar-bench --parity</c>: every Haar cascade of a folder on every photo given (scaled so the longer
/// side is 333 pixels), scale factors 1.1 and 1.23, minNeighbors 0 (raw hits) and 3; prints each mismatch
/// with OpenCV and a summary line. Exit code 1 when any case differs.
/// </summary>
internal static class ParitySweep
{
    public static int Run(string cascadeFolder, IReadOnlyList<string> images)
    {
        int cases = 0, mismatches = 0;
        long rawHits = 0;
        foreach (string cascadePath in Directory.GetFiles(cascadeFolder, "haarcascade_*.xml").OrderBy(f => f, StringComparer.Ordinal))
        {
            using var opencv = new CascadeClassifier(cascadePath);
            var detector = new HaarDetector(HaarCascade.Load(cascadePath));
            foreach (string imagePath in images)
            {
                using var gray = Program.LoadGray(imagePath, 333);
                byte[] pixels = Program.Pixels(gray);
                foreach (double scaleFactor in new[] { 1.1, 1.23 })
                {
                    foreach (int minNeighbors in new[] { 0, 3 })
                    {
                        var expected = opencv.DetectMultiScale(gray, scaleFactor, minNeighbors)
                            .Select(r => (r.X, r.Y, r.Width, r.Height)).Order().ToArray();
                        var actual = detector.Detect(pixels, gray.Width, gray.Height, new HaarDetectionOptions { ScaleFactor = scaleFactor, MinNeighbors = minNeighbors })
                            .Select(d => (d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height)).Order().ToArray();
                        cases++;
                        if (minNeighbors == 0)
                            rawHits += expected.Length;
                        if (!expected.SequenceEqual(actual))
                        {
                            mismatches++;
                            Console.WriteLine($"MISMATCH {Path.GetFileName(cascadePath)} {Path.GetFileName(imagePath)} scaleFactor {scaleFactor} minNeighbors {minNeighbors}: OpenCV {expected.Length} boxes, ours {actual.Length}");
                        }
                    }
                }
            }
            Console.WriteLine($"{Path.GetFileName(cascadePath)}: {cases} cases so far, {mismatches} mismatches");
        }
        Console.WriteLine($"parity: {cases} cases, {mismatches} mismatches, {rawHits} raw hits compared");
        return mismatches == 0 ? 0 : 1;
    }
}
