using System.Runtime.CompilerServices;
using System.Text.Json;
using DeepExtensions.Cli;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary>What one in-process run of <c>deepext</c> returned and wrote.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Lines(Stdout);

    public string[] StderrLines => Lines(Stderr);

    /// <summary>The JSON object on the last stdout line (train and evaluate).</summary>
    public JsonElement Metrics => JsonDocument.Parse(StdoutLines[^1]).RootElement;

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs <c>deepext</c> in-process through <see cref="Program.Run"/>, and finds the sample data.</summary>
internal static class CliRunner
{
    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    public static CliResult Run(CancellationToken cancellationToken, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exitCode = Program.Run(args, stdout, stderr, cancellationToken);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// A file of samples/data, found by walking up to the repository root from the test binaries,
    /// else from this source file (for builds whose output lies outside the repository).
    /// </summary>
    public static string Sample(string name) => Path.Combine(SampleFolder.Value, name);

    private static readonly Lazy<string> SampleFolder = new(() => FindSamples(AppContext.BaseDirectory) ?? FindSamples(SourceFolder())
        ?? throw new DirectoryNotFoundException($"samples/data not found above {AppContext.BaseDirectory} or {SourceFolder()}"));

    private static string? FindSamples(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            var path = Path.Combine(folder.FullName, "samples", "data");
            if (File.Exists(Path.Combine(path, "make_samples.py")))
                return path;
        }
        return null;
    }

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";

    /// <summary>The train arguments for one of the sample data sets, kept short for tests (5 epochs).</summary>
    public static string[] TrainArgs(string task, string model, params string[] extra)
    {
        var (stem, label) = Sets[task];
        return new[]
        {
            "train", "--task", task, "--data", Sample($"{stem}-train.csv"), "--label", label,
            "--test", Sample($"{stem}-test.csv"), "--epochs", "5", "--seed", "1", "--out", model,
        }.Concat(extra).ToArray();
    }

    public static readonly IReadOnlyDictionary<string, (string Stem, string Label)> Sets = new Dictionary<string, (string, string)>
    {
        ["binary"] = ("breast-cancer", "diagnosis"),
        ["multiclass"] = ("wine", "cultivar"),
        ["regression"] = ("diabetes", "progression"),
    };
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"deepext-cli-{Guid.NewGuid():N}");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="text"/> to a file in the folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
