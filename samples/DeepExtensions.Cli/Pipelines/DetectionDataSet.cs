using DeepExtensions.Cli.Commands;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// The detection data of <c>--data</c>, <c>--test</c> and <c>--validation</c>: a COCO instances JSON file (images beside
/// it or in <c>images/</c>), a YOLO <c>data.yaml</c> (or a folder holding one), a Pascal VOC folder, or a COCO folder
/// (<c>annotations/instances_SPLIT.json</c>); read errors become one-line data errors naming the option.
/// </summary>
public static class DetectionDataSet
{
    /// <summary>Reads <paramref name="path"/>'s <paramref name="split"/> (null: the format's default).</summary>
    public static DetectionDataset Open(string path, string option, string? split = null)
    {
        try
        {
            return DetectionDataset.Read(path, split);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            throw CliException.DataError($"{option} '{path}': {Messages.OneLine(e)}");
        }
    }

    /// <summary>
    /// The held-out split of a data set that has one: a YOLO data.yaml's <c>test</c> or <c>val</c> images, a COCO folder's
    /// <c>instances_test.json</c> or <c>instances_val.json</c>; null for a single COCO file or a VOC folder without those.
    /// </summary>
    public static DetectionDataset? HeldOut(string path, string option)
    {
        foreach (var split in new[] { "test", "val" })
        {
            if (!HasSplit(path, split))
                continue;
            return Open(path, option, split);
        }
        return null;
    }

    /// <summary>Checks that <paramref name="other"/> has the training data's classes in the same order (keys must mean the same).</summary>
    public static void RequireSameClasses(DetectionDataset training, DetectionDataset other, string option, string path)
    {
        if (!training.ClassNames.SequenceEqual(other.ClassNames, StringComparer.Ordinal))
            throw CliException.DataError($"{option} '{path}' has the classes [{string.Join(", ", other.ClassNames)}]; the training data has [{string.Join(", ", training.ClassNames)}]: both need the same classes in the same order");
    }

    private static bool HasSplit(string path, string split)
    {
        var full = Path.GetFullPath(path);
        string? yaml = File.Exists(full) && Path.GetExtension(full) is ".yaml" or ".yml" ? full
            : Directory.Exists(full) ? new[] { "data.yaml", "data.yml" }.Select(n => Path.Combine(full, n)).FirstOrDefault(File.Exists)
            : null;
        if (yaml is not null)
            return File.ReadLines(yaml).Any(line => line.TrimStart().StartsWith(split + ":", StringComparison.Ordinal));
        if (Directory.Exists(full))
        {
            return File.Exists(Path.Combine(full, "annotations", $"instances_{split}.json"))
                || File.Exists(Path.Combine(full, "ImageSets", "Main", $"{split}.txt"));
        }
        return false;
    }
}
