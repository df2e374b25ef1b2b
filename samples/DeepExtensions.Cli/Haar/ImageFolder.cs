using DeepExtensions.Cli.Commands;

namespace DeepExtensions.Cli.Haar;

/// <summary>The image files of a folder (not its sub-folders), in name order.</summary>
public static class ImageFolder
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>The files; a usage error when the folder is missing, a data error when it has no image.</summary>
    public static string[] Files(string folder, string option)
    {
        if (!Directory.Exists(folder))
            throw CliException.UsageError($"{option} '{folder}' is not a folder");
        var files = Directory.GetFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
            throw CliException.DataError($"{option} '{folder}' has no image files ({string.Join(", ", Extensions)})");
        return files;
    }
}
