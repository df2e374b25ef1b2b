using DeepExtensions.Cli.Commands;

namespace DeepExtensions.Cli.Output;

/// <summary>
/// Writes an output file safely: refuses an existing file unless overwriting is asked for, writes a
/// temporary file in the same folder, and moves it into place only when it is complete.
/// </summary>
public static class OutputFile
{
    /// <summary>Fails (usage error) when <paramref name="path"/> exists and <paramref name="overwrite"/> is false, or its folder is missing.</summary>
    public static void CheckWritable(string path, string option, bool overwrite)
    {
        if (Directory.Exists(path))
            throw CliException.UsageError($"{option} '{path}' is a folder");
        if (File.Exists(path) && !overwrite)
            throw CliException.UsageError($"{option} '{path}' already exists (pass --force to overwrite it)");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
            throw CliException.UsageError($"{option} '{path}': folder '{folder}' does not exist");
    }

    public static void Write(string path, string option, bool overwrite, Action<string> writeTemp)
    {
        CheckWritable(path, option, overwrite);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTemp(temp);
            File.Move(temp, full, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(full))
        {
            throw CliException.UsageError($"{option} '{path}' already exists (pass --force to overwrite it): {e.Message}");
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
