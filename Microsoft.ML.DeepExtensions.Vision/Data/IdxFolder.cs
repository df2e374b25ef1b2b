using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// A folder in the MNIST layout: four IDX files named <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>,
/// each optionally gzip-compressed with a <c>.gz</c> suffix (names are matched case-insensitively,
/// and <c>train-images.idx3-ubyte</c>, with a dot, is accepted too). Where a file exists both
/// compressed and uncompressed, the uncompressed one is used (it loads faster; <c>gunzip -k</c>
/// leaves both).
/// </summary>
public sealed partial class IdxFolder
{
    private IdxFolder(string directory, string trainImages, string trainLabels, string testImages, string testLabels)
    {
        Directory = directory;
        TrainImages = trainImages;
        TrainLabels = trainLabels;
        TestImages = testImages;
        TestLabels = testLabels;
    }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }

    /// <summary>Full path of the training images file (<c>train-images-idx3-ubyte[.gz]</c>).</summary>
    public string TrainImages { get; }

    /// <summary>Full path of the training labels file (<c>train-labels-idx1-ubyte[.gz]</c>).</summary>
    public string TrainLabels { get; }

    /// <summary>Full path of the test images file (<c>t10k-images-idx3-ubyte[.gz]</c>).</summary>
    public string TestImages { get; }

    /// <summary>Full path of the test labels file (<c>t10k-labels-idx1-ubyte[.gz]</c>).</summary>
    public string TestLabels { get; }

    /// <summary>Whether <paramref name="directory"/> exists and holds the four IDX files. Reads only file names.</summary>
    public static bool IsIdxFolder(string directory) => TryFind(directory, out _, out _);

    /// <summary>Finds the four IDX files in <paramref name="directory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">One or more of the four files is missing; the message lists them.</exception>
    public static IdxFolder Find(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var fullPath = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(fullPath))
            throw new DirectoryNotFoundException($"IDX folder '{fullPath}' not found.");
        if (!TryFind(fullPath, out var folder, out var missing))
            throw new FileNotFoundException(
                $"IDX folder '{fullPath}' lacks {string.Join(", ", missing.Select(m => $"'{m}[.gz]'"))}; an MNIST-layout folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each optionally .gz.");
        return folder;
    }

    private static bool TryFind(string directory, [NotNullWhen(true)] out IdxFolder? folder, out List<string> missing)
    {
        folder = null;
        missing = new List<string>();
        if (string.IsNullOrWhiteSpace(directory) || !System.IO.Directory.Exists(directory))
        {
            missing.AddRange(new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" });
            return false;
        }

        var fullPath = Path.GetFullPath(directory);
        var found = new Dictionary<string, (string Path, bool Gzip)>(StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.EnumerateFiles(fullPath).Order(StringComparer.Ordinal))
        {
            var match = IdxFileName().Match(Path.GetFileName(file));
            if (!match.Success || match.Groups["dims"].Value != (match.Groups["kind"].Value.Equals("images", StringComparison.OrdinalIgnoreCase) ? "3" : "1"))
                continue;
            var key = $"{match.Groups["split"].Value.ToLowerInvariant()}-{match.Groups["kind"].Value.ToLowerInvariant()}";
            bool gzip = match.Groups["gz"].Success;
            if (!found.TryGetValue(key, out var existing) || (existing.Gzip && !gzip))
                found[key] = (file, gzip);
        }

        foreach (var (key, dims) in new[] { ("train-images", 3), ("train-labels", 1), ("t10k-images", 3), ("t10k-labels", 1) })
        {
            if (!found.ContainsKey(key))
                missing.Add($"{key}-idx{dims}-ubyte");
        }
        if (missing.Count > 0)
            return false;
        folder = new IdxFolder(fullPath, found["train-images"].Path, found["train-labels"].Path, found["t10k-images"].Path, found["t10k-labels"].Path);
        return true;
    }

    [GeneratedRegex(@"^(?<split>train|t10k)-(?<kind>images|labels)[-.]idx(?<dims>[13])-ubyte(?<gz>\.gz)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IdxFileName();
}
