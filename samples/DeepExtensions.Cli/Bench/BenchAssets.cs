using System.Diagnostics;
using DeepExtensions.Cli.Commands;

namespace DeepExtensions.Cli.Bench;

/// <summary>What the ONNX benchmarks run on: the photos of Debian's opencv-doc package, and models too big to commit that a
/// script beside the benchmark generates once into a cache folder.</summary>
internal static class BenchAssets
{
    public const string PhotoFolder = "/usr/share/doc/opencv-doc/examples/data";

    /// <summary>Up to 16 real photos (JPEGs over 20 kB), in name order.</summary>
    public static string[] Photos(string benchmark)
    {
        if (!Directory.Exists(PhotoFolder))
            throw CliException.DataError($"bench {benchmark} needs the photos of Debian's opencv-doc package in {PhotoFolder} (apt-get install opencv-doc)");
        var photos = Directory.GetFiles(PhotoFolder, "*.jpg").Where(p => new FileInfo(p).Length > 20_000).OrderBy(p => p, StringComparer.Ordinal).Take(16).ToArray();
        if (photos.Length == 0)
            throw CliException.DataError($"no photos in {PhotoFolder}");
        return photos;
    }

    /// <summary>The cached model <paramref name="fileName"/>, generated first by <paramref name="script"/> (a path under the
    /// CLI's output folder, run with Debian's /usr/bin/python3 and the output path as its argument) when missing.</summary>
    public static string GeneratedModel(string fileName, string script, string needs, TextWriter stderr)
    {
        string cache = Path.Combine(Path.GetTempPath(), "deepext-bench");
        string model = Path.Combine(cache, fileName);
        if (File.Exists(model))
            return model;
        string path = Path.Combine(AppContext.BaseDirectory, script);
        if (!File.Exists(path))
            throw CliException.DataError($"the model generator '{path}' is missing; pass --model FILE.onnx");
        Directory.CreateDirectory(cache);
        stderr.WriteLine($"bench: generating {model} with {path} ({needs}) ...");
        var start = new ProcessStartInfo("/usr/bin/python3", new[] { path, model }) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw CliException.DataError("could not start /usr/bin/python3");
        var output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(model))
            throw CliException.DataError($"generating the benchmark model failed (exit {process.ExitCode}); pass --model FILE.onnx instead. {errors.Split('\n').LastOrDefault(l => l.Length > 0)}");
        stderr.WriteLine($"bench: {output.Result.Trim()}");
        return model;
    }
}
