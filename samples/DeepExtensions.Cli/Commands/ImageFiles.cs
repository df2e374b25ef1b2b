using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// The image files a command-line path names: the file itself, or the images of a folder in name
/// order (with its sub-folders when asked), and how every command reads them. Every command that reads
/// images lists and reads them here, so they behave alike: the extensions the Vision package's image
/// folders use, and an unreadable image (empty, truncated, not an image, absurd declared size) reported
/// as one line naming the file and skipped while the others are still processed; the command then exits
/// with <see cref="ExitCodes.Data"/>.
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

    /// <summary>
    /// Reads <paramref name="path"/> with <see cref="ImageFile.Load"/>; when it cannot be read, writes
    /// <c>error: Image file 'PATH' WHY; skipped</c> on stderr and returns null.
    /// </summary>
    public static MLImage? TryRead(string path, CliContext context)
    {
        try
        {
            return ImageFile.Load(path);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            context.Note($"error: {Messages.OneLine(e).TrimEnd('.')}; skipped");
            return null;
        }
    }

    /// <summary>Reads the one image <paramref name="option"/> names; a data error (one line) when it cannot be read.</summary>
    public static MLImage Read(string path, string option)
    {
        try
        {
            return ImageFile.Load(path);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            throw CliException.DataError($"{option}: {Messages.OneLine(e).TrimEnd('.')}");
        }
    }

    private static bool IsUnreadable(Exception e) => e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException;

    /// <summary>
    /// The images of <paramref name="paths"/> that can be read (each decoded once to check it), in order;
    /// each other one is reported as <see cref="TryRead"/> does. For commands that hand paths to an ML.NET
    /// pipeline (whose <c>LoadImages</c> would stop at the first bad file).
    /// </summary>
    public static List<string> Readable(IEnumerable<string> paths, CliContext context)
    {
        var readable = new List<string>();
        foreach (string path in paths)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using var image = TryRead(path, context);
            if (image is not null)
                readable.Add(path);
        }
        return readable;
    }
}
