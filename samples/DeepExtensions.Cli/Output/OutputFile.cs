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
            throw CliException.UsageError(File.Exists(folder)
                ? $"{option} '{path}': '{folder}' is a file, not a folder"
                : $"{option} '{path}': folder '{folder}' does not exist");
        CheckFolderWritable(folder, path, option);
    }

    /// <summary>
    /// Creates the output folder <paramref name="folder"/> (and its parents) when missing and checks that
    /// files can be written in it; a usage error naming <paramref name="option"/> otherwise.
    /// </summary>
    public static void CreateFolder(string folder, string option)
    {
        if (File.Exists(folder))
            throw CliException.UsageError($"{option} '{folder}' is a file; it must be a folder");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw CliException.UsageError($"{option} '{folder}': the folder cannot be created: {e.Message}");
        }
        CheckFolderWritable(Path.GetFullPath(folder), folder, option);
    }

    /// <summary>
    /// Creates and deletes a probe file in <paramref name="folder"/>, so that a folder the user may not
    /// write to (permissions, a read-only file system) is refused before any work, not after training.
    /// </summary>
    private static void CheckFolderWritable(string folder, string path, string option)
    {
        string probe = Path.Combine(folder, $".deepext-write-test.{Guid.NewGuid():N}.tmp");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw CliException.UsageError($"{option} '{path}': cannot write in folder '{folder}': {e.Message}");
        }
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
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw CliException.DataError($"{option} '{path}' cannot be written: {e.Message}");
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
