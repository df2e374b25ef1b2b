using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using OpenCvSharp;

namespace DeepExtensions.HaarBench;

/// <summary>
/// <c>haar-bench</c>: runs the managed <see cref="HaarDetector"/> and OpenCV's <c>CascadeClassifier</c> on the
/// same gray pixels with the same cascade and parameters, both on one core (OpenCV <c>setNumThreads(1)</c>,
/// ours <c>MaxDegreeOfParallelism = 1</c>), interleaved run by run so machine noise hits both alike, and prints
/// the median times, their ratio and whether the detections are equal. The last line is JSON.
/// </summary>
public static class Program
{
    private const string Usage =
        "Usage: haar-bench [--cascade FILE] [--image FILE]... [--scale-factor 1.1] [--min-neighbors 3]\n" +
        "                  [--min-size WxH] [--repeat 7] [--max-side N]\n" +
        "       haar-bench --parity [--cascades DIR] [--image FILE]...\n" +
        "\n" +
        "Times the managed Haar detector against OpenCV 4.13 (OpenCvSharp) on one core each.\n" +
        "Defaults: the frontal-face cascade of opencv-data, astronaut.png (python3-skimage) and messi5.jpg\n" +
        "(opencv-doc); --max-side shrinks larger photos first (default: full size).\n" +
        "--parity compares the boxes (raw hits and grouped) of every haarcascade_*.xml in --cascades\n" +
        "(default /usr/share/opencv4/haarcascades) with OpenCV's on the photos, scaled to 333 pixels.";

    private const string DefaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
    private static readonly string[] DefaultImages =
    {
        "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
        "/usr/share/doc/opencv-doc/examples/data/messi5.jpg",
    };

    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"haar-bench: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OpenCVException)
        {
            Console.Error.WriteLine($"haar-bench: {e.Message}");
            return 1;
        }
    }

    private static int Run(string[] args)
    {
        string cascadePath = DefaultCascade;
        var images = new List<string>();
        double scaleFactor = 1.1;
        int minNeighbors = 3, repeat = 7, maxSide = 0;
        var minSize = System.Drawing.Size.Empty;
        bool parity = false;
        string cascadeFolder = "/usr/share/opencv4/haarcascades";
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--help" or "-h":
                    Console.WriteLine(Usage);
                    return 0;
                case "--cascade": cascadePath = Value(); break;
                case "--parity": parity = true; break;
                case "--cascades": cascadeFolder = Value(); break;
                case "--image": images.Add(Value()); break;
                case "--scale-factor": scaleFactor = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--min-neighbors": minNeighbors = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--max-side": maxSide = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--min-size":
                    var parts = Value().Split('x');
                    minSize = new System.Drawing.Size(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'; see --help.");
            }
        }
        if (images.Count == 0)
            images.AddRange(DefaultImages);
        if (parity)
            return ParitySweep.Run(cascadeFolder, images);
        if (repeat < 1)
            throw new ArgumentException($"--repeat must be at least 1, got {repeat}.");

        Cv2.SetNumThreads(1);
        using var opencv = new CascadeClassifier();
        if (!opencv.Load(cascadePath))
            throw new InvalidDataException($"OpenCV could not load '{cascadePath}'.");
        var detector = new HaarDetector(HaarCascade.Load(cascadePath));
        var options = new HaarDetectionOptions { ScaleFactor = scaleFactor, MinNeighbors = minNeighbors, MinSize = minSize, MaxDegreeOfParallelism = 1 };
        var parallel = new HaarDetectionOptions { ScaleFactor = scaleFactor, MinNeighbors = minNeighbors, MinSize = minSize };
        Size? cvMinSize = minSize.IsEmpty ? null : new Size(minSize.Width, minSize.Height);

        Console.WriteLine($"cascade {Path.GetFileName(cascadePath)}, scaleFactor {scaleFactor}, minNeighbors {minNeighbors}, {repeat} runs each, medians; OpenCV {Cv2.GetVersionString()} threads={Cv2.GetNumThreads()}, ours single-threaded");
        Console.WriteLine($"{"image",-24} {"size",-9} {"OpenCV ms",10} {"ours ms",10} {"ratio",7} {"ours x" + Environment.ProcessorCount + " ms",12} {"boxes",6} equal");
        double totalOpenCv = 0, totalOurs = 0, totalParallel = 0;
        bool allEqual = true;
        var rows = new List<object>();
        foreach (string path in images)
        {
            using var gray = LoadGray(path, maxSide);
            byte[] pixels = Pixels(gray);

            var expected = opencv.DetectMultiScale(gray, scaleFactor, minNeighbors, 0, cvMinSize);
            var actual = detector.Detect(pixels, gray.Width, gray.Height, options);
            bool equal = Sorted(expected.Select(r => (r.X, r.Y, r.Width, r.Height)))
                .SequenceEqual(Sorted(actual.Select(d => (d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height))));
            allEqual &= equal;

            var openCvTimes = new List<double>();
            var ourTimes = new List<double>();
            var parallelTimes = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                var watch = Stopwatch.StartNew();
                opencv.DetectMultiScale(gray, scaleFactor, minNeighbors, 0, cvMinSize);
                openCvTimes.Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                detector.Detect(pixels, gray.Width, gray.Height, options);
                ourTimes.Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                detector.Detect(pixels, gray.Width, gray.Height, parallel);
                parallelTimes.Add(watch.Elapsed.TotalMilliseconds);
            }
            double o = Median(openCvTimes), u = Median(ourTimes), p = Median(parallelTimes);
            totalOpenCv += o;
            totalOurs += u;
            totalParallel += p;
            Console.WriteLine($"{Path.GetFileName(path),-24} {gray.Width + "x" + gray.Height,-9} {o,10:F1} {u,10:F1} {u / o,7:F2} {p,12:F1} {actual.Count,6} {(equal ? "yes" : "NO")}");
            rows.Add(new { image = Path.GetFileName(path), width = gray.Width, height = gray.Height, opencvMs = o, oursMs = u, ratio = u / o, oursParallelMs = p, boxes = actual.Count, equal });
        }
        double ratio = totalOurs / totalOpenCv;
        Console.WriteLine($"{"total",-24} {"",-9} {totalOpenCv,10:F1} {totalOurs,10:F1} {ratio,7:F2} {totalParallel,12:F1}");
        Console.WriteLine($"ours/OpenCV on one core: {ratio:F2}x (goal <= 1.5x); ours {1000.0 * images.Count / totalOurs:F1} images/s, OpenCV {1000.0 * images.Count / totalOpenCv:F1} images/s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "haar",
            cascade = Path.GetFileName(cascadePath),
            scaleFactor,
            minNeighbors,
            repeat,
            opencvMs = totalOpenCv,
            oursMs = totalOurs,
            oursParallelMs = totalParallel,
            ratio,
            detectionsEqual = allEqual,
            images = rows,
        }));
        return allEqual ? 0 : 1;
    }

    internal static byte[] Pixels(Mat gray)
    {
        int width = gray.Width, height = gray.Height;
        byte[] pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            System.Runtime.InteropServices.Marshal.Copy(gray.Ptr(y), pixels, y * width, width);
        return pixels;
    }

    internal static Mat LoadGray(string path, int maxSide)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        using var color = Cv2.ImRead(path, ImreadModes.Color);
        if (color.Empty())
            throw new InvalidDataException($"OpenCV could not decode '{path}'.");
        var gray = new Mat();
        Cv2.CvtColor(color, gray, ColorConversionCodes.BGR2GRAY);
        if (maxSide <= 0 || Math.Max(gray.Width, gray.Height) <= maxSide)
            return gray;
        double scale = (double)maxSide / Math.Max(gray.Width, gray.Height);
        var small = new Mat();
        Cv2.Resize(gray, small, new Size(Math.Round(gray.Width * scale), Math.Round(gray.Height * scale)), 0, 0, InterpolationFlags.Area);
        gray.Dispose();
        return small;
    }

    private static IEnumerable<(int, int, int, int)> Sorted(IEnumerable<(int X, int Y, int W, int H)> boxes) =>
        boxes.OrderBy(b => b.Y).ThenBy(b => b.X).ThenBy(b => b.W).ThenBy(b => b.H);

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
