namespace DeepExtensions.Cli.Commands;

/// <summary>
/// The output files of commands that write, for every input image, a drawn copy and a JSON file into --out
/// (<c>detect --cascade</c>, <c>propose</c>): their names, and the checks made before anything is written.
/// </summary>
internal static class PerImageOutputs
{
    /// <summary>
    /// For each image, --out/NAME (drawn; PNG unless the input is PNG or JPEG) and --out/NAME.json. Refuses an --out
    /// that is a file, an output that would overwrite its input, and (without <paramref name="force"/>) any existing
    /// output, so an existing file stops the run before it changes anything.
    /// </summary>
    public static (string Image, string Drawn, string Json)[] Plan(IEnumerable<string> images, string outFolder, bool force)
    {
        if (File.Exists(outFolder))
            throw CliException.UsageError($"--out '{outFolder}' is a file; it must be a folder");
        var outputs = images.Select(image => (Image: image, Drawn: Path.Combine(outFolder, DrawnName(image)), Json: Path.Combine(outFolder, Path.GetFileName(image) + ".json"))).ToArray();
        foreach (var output in outputs)
        {
            if (Path.GetFullPath(output.Drawn) == Path.GetFullPath(output.Image))
                throw CliException.UsageError($"--out '{outFolder}' would overwrite the input image '{output.Image}'; choose another folder");
        }
        if (!force)
        {
            foreach (string path in outputs.SelectMany(o => new[] { o.Drawn, o.Json }))
            {
                if (File.Exists(path))
                    throw CliException.UsageError($"--out: '{path}' already exists (pass --force to overwrite it)");
            }
        }
        return outputs;
    }

    private static string DrawnName(string image)
    {
        string name = Path.GetFileName(image);
        return Path.GetExtension(image).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" ? name : name + ".png";
    }
}
