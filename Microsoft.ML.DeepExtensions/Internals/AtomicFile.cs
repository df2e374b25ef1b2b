namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// Writes a file all or nothing: into a temporary file beside it, moved into place only once complete,
/// so a failure (a full disk, an exception while encoding) never leaves a half-written file behind.
/// </summary>
internal static class AtomicFile
{
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Replace an existing file; otherwise an existing file is an <see cref="IOException"/>.</param>
    /// <param name="write">Writes the content into the stream it is given.</param>
    public static void Write(string path, bool overwrite, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
            throw new IOException($"'{path}' already exists; pass overwrite: true to replace it.");
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                write(stream);
            File.Move(temp, full, overwrite);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
