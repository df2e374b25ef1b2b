namespace DeepExtensions.Cli.Commands;

/// <summary>
/// The image files a command-line path names: the file itself, or the images of a folder in name
/// order (with its sub-folders when asked). Every command that reads images lists them here, with the
/// extensions the Vision package's image folders use.
/// </summary>
internal static class ImageFiles
{
    private static IReadOnlyList<string> Extensions => Microsoft.ML.DeepExtensions.Vision.Data.ImageFolder.ImageExtensions;

    /// <param name="path">A folder, or (when <paramref name="fileAllowed"/>) one image file.</param>
    /// <param name="option">The option that named it, for messages.</param>
    /// <param name="recursive">Include the images of sub-folders.</param>
    /// <param name="fileAllowed">Accept a single file; otherwise only a folder is valid (a usage error).</param>
    /// <exception cref="CliException">The path does not exist or is not allowed (usage: a file where a folder is
    /// needed), or the folder has no image file (data).</exception>
    public static string[] Find(string path, string option, bool recursive = false, bool fileAllowed = true)
    {
        if (File.Exists(path))
            return fileAllowed ? new[] { path } : throw CliException.UsageError($"{option} '{path}' is not a folder");
        if (!Directory.Exists(path))
            throw fileAllowed ? CliException.DataError($"{option} '{path}' not found") : CliException.UsageError($"{option} '{path}' is not a folder");
        var files = Directory.EnumerateFiles(path, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
            throw CliException.DataError($"{option} '{path}' has no image files ({string.Join(", ", Extensions)})");
        return files;
    }
}
