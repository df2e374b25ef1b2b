using System.Diagnostics;
using Microsoft.ML.DeepExtensions.Persistence;

namespace Microsoft.ML.DeepExtensions.Tests.Persistence;

/// <summary>
/// Loads a model in a brand-new process: the test assembly is started with <c>dotnet</c> and named as its own
/// .NET startup hook (<c>DOTNET_STARTUP_HOOKS</c>); the hook (<see cref="global::StartupHook"/>) runs
/// <see cref="RunIfRequested"/> before the (empty, test-SDK-generated) Main and exits. Nothing of the parent's
/// static state exists there: not the loader registry, not the catalog, not the transformer's static constructor.
/// </summary>
internal static class FreshProcessLoader
{
    private const string RequestVariable = "DEEPEXTENSIONS_PERSISTENCE_CHILD";

    internal sealed record Result(int ExitCode, string[] Lines, string StandardError);

    /// <summary>Starts the child, which loads <paramref name="modelPath"/> and scores the test data.</summary>
    internal static Result Run(string modelPath, bool register, string scenario = "add-constant")
    {
        string testAssembly = typeof(FreshProcessLoader).Assembly.Location;
        string outputPath = Path.Combine(Path.GetTempPath(), $"dx-child-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(DotnetHost(), [testAssembly])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(testAssembly)!,
        };
        start.Environment["DOTNET_STARTUP_HOOKS"] = testAssembly;
        start.Environment[RequestVariable] = string.Join('|', modelPath, outputPath, register ? "register" : "no-register", scenario);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The child process did not finish in 2 minutes.");
        }
        _ = stdout.Result;
        try
        {
            string[] lines = File.Exists(outputPath) ? File.ReadAllLines(outputPath) : [];
            return new Result(process.ExitCode, lines, stderr);
        }
        finally
        {
            File.Delete(outputPath);
        }
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
            return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return self;
        return "dotnet";
    }

    /// <summary>In the child: does the work if the parent asked for it, then ends the process.</summary>
    internal static void RunIfRequested()
    {
        string? request = Environment.GetEnvironmentVariable(RequestVariable);
        if (string.IsNullOrEmpty(request))
            return;
        string[] parts = request.Split('|');
        string modelPath = parts[0], outputPath = parts[1];
        bool register = parts[2] == "register";
        string scenario = parts.Length > 3 ? parts[3] : "add-constant";

        var lines = new List<string>();
        int exitCode = 0;
        try
        {
            // The constant is inlined: reading it does not run the transformer's static constructor.
            lines.Add($"loaderKnownBeforeLoad={DeepExtensionsRegistration.TryGetLoader(AddConstantTransformer.LoaderSignature, out _)}");
            var ml = new MLContext(seed: 1);
            if (register)
                ml.RegisterDeepExtensions();
            var model = ml.Model.Load(modelPath, out _);
            if (scenario == "haar")
            {
                lines.AddRange(Vision.Haar.HaarCascadeDetectorTests.Score(ml, model));
            }
            else if (scenario == "proposals")
            {
                lines.AddRange(Vision.Detection.Proposals.SelectiveSearchTransformerTests.ScoreLines(ml, model));
            }
            else if (scenario == "mlp-multiclass")
            {
                lines.AddRange(Trainers.MlpPersistenceTests.Score(ml, model));
            }
            else if (scenario == "cnn-image")
            {
                lines.AddRange(Vision.Classification.CnnPersistenceTests.Score(ml, model));
            }
            else if (scenario.StartsWith("yolo-trained:", StringComparison.Ordinal))
            {
                lines.AddRange(Vision.Detection.Yolo.Training.YoloTrainerTests.Score(ml, model, scenario["yolo-trained:".Length..]));
            }
            else if (scenario.StartsWith("mask-rcnn-trained:", StringComparison.Ordinal))
            {
                lines.AddRange(Vision.Detection.TwoStage.Training.MaskRcnnTrainerTests.Score(ml, model, scenario["mask-rcnn-trained:".Length..]));
            }
            else if (scenario.StartsWith("detect:", StringComparison.Ordinal))
            {
                lines.AddRange(Vision.Detection.OnnxDetectorPersistenceTests.Score(ml, model, scenario["detect:".Length..]));
            }
            else
            {
                lines.Add($"staticConstructorRuns={AddConstantTransformer.StaticConstructorRuns}");
                lines.AddRange(PersistenceTestData.Score(ml, model, PersistenceTestData.Data(ml)));
            }
        }
        catch (Exception ex)
        {
            lines.Add("EXCEPTION");
            lines.Add(ex.ToString().ReplaceLineEndings(" \\n "));
            exitCode = 3;
        }
        File.WriteAllLines(outputPath, lines);
        Environment.Exit(exitCode);
    }
}
