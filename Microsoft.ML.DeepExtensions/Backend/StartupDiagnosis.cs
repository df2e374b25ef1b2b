using System.Text.RegularExpressions;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Turns the dynamic loader's reason for refusing a TorchSharp or LibTorch library into a message
/// that says what is wrong and what to do.
/// </summary>
/// <remarks>
/// TorchSharp reports every such failure as "doesn't contain a reference to libtorch-cpu-linux-x64",
/// which sends users after a package they already reference. The loader's own text (glibc's
/// <c>dlerror</c>) names the real cause; this class classifies it. Pure apart from reading the
/// named files, so each case is testable with the loader text alone.
/// </remarks>
internal static partial class StartupDiagnosis
{
    /// <summary>What the app should do when its C++ runtime is too old for TorchSharp's glue.</summary>
    internal const string GlibcxxAdvice =
        "Build the app through DeepExtensions' build targets (build/TorchSharpNativeFix.targets, imported by Directory.Build.targets), " +
        "which patch the output copy of libLibTorchSharp.so, or install a libstdc++ that provides {0}.";

    /// <summary>Explains why <paramref name="library"/> failed to load.</summary>
    /// <param name="library">Full path of the library that failed.</param>
    /// <param name="loaderError">The loader's reason (<c>dlerror</c> text, or .NET's message elsewhere).</param>
    /// <param name="folder">The LibTorch folder in use (DEEPEXT_LIBTORCH_DIR or the argument), or null for the app's own.</param>
    /// <param name="appShipsLibTorch">
    /// Whether the app's own folders hold a LibTorch (from TorchSharp-cpu). Without one, and without a
    /// folder, the loader falls back to the system's library path, e.g. Debian's libtorch 1.13.
    /// </param>
    /// <param name="libStdCxxPath">The system libstdc++ to compare with, when the loader text names none.</param>
    public static string Explain(string library, string loaderError, LibTorchFolder? folder, bool appShipsLibTorch = true, string? libStdCxxPath = null)
    {
        var file = Path.GetFileName(library);
        var error = loaderError.Trim();
        bool cudaLibrary = file.Contains("cuda", StringComparison.OrdinalIgnoreCase);

        if (VersionNotFound().Match(error) is { Success: true } version
            && (version.Groups["version"].Value.StartsWith("GLIBCXX_", StringComparison.Ordinal) || version.Groups["version"].Value.StartsWith("CXXABI_", StringComparison.Ordinal)))
        {
            var provider = version.Groups["provider"].Value;
            var requiredBy = version.Groups["by"].Success && File.Exists(version.Groups["by"].Value) ? version.Groups["by"].Value : library;
            return ExplainLibStdCxx(requiredBy, error, File.Exists(provider) ? provider : libStdCxxPath ?? LibStdCxxCheck.DefaultLibStdCxxPath, version.Groups["version"].Value);
        }

        if (CannotOpen().Match(error) is { Success: true } open)
        {
            var missing = open.Groups["name"].Value;
            var missingFile = Path.GetFileName(missing);
            if (missing == library || missingFile == file && !File.Exists(library))
                return $"TorchSharp could not start: {library} does not exist ({error}).";
            if (IsCudaRuntime(missingFile))
                return CudaAdvice(library, folder, $"it needs the CUDA library {missingFile}, which the loader could not find ({error})");
            if (IsLibTorch(missingFile))
            {
                return folder is null
                    ? $"TorchSharp could not start: {file} needs LibTorch ({missingFile}), but this app has no LibTorch. " +
                      "Reference the TorchSharp-cpu package in the app project (it brings LibTorch for the CPU), " +
                      $"or set {TorchBackend.LibTorchDirectoryVariable} to a LibTorch folder such as a PyTorch install's torch/lib. (Loader: {error})"
                    : $"TorchSharp could not start: {file} needs {missingFile}, which the LibTorch folder '{folder.Directory}' does not provide. (Loader: {error})";
            }
            return cudaLibrary
                ? CudaAdvice(library, folder, $"one of its dependencies is missing ({error})")
                : $"TorchSharp could not start: {file} needs {missingFile}, which the loader could not find. Install it, or place it beside {file}. (Loader: {error})";
        }

        if (UndefinedSymbol().Match(error) is { Success: true } symbol)
        {
            var from = folder is not null ? $"the LibTorch in '{folder.Directory}'{(folder.Version is null ? "" : $" (version {folder.Version})")}"
                : appShipsLibTorch ? "the LibTorch it found"
                : "the LibTorch it found on the system's library path (this app ships none)";
            var fix = folder is null && !appShipsLibTorch
                ? $"Reference the TorchSharp-cpu package in the app project, or set {TorchBackend.LibTorchDirectoryVariable} to a LibTorch {TorchBackend.ExpectedLibTorchVersion}.x folder."
                : $"Use a LibTorch {TorchBackend.ExpectedLibTorchVersion}.x build, e.g. the torch/lib folder of a PyTorch {TorchBackend.ExpectedLibTorchVersion}.x install.";
            return $"TorchSharp could not start: {file} could not bind to {from}: undefined symbol {symbol.Groups["symbol"].Value}. " +
                   $"TorchSharp's native glue is built against LibTorch {TorchBackend.ExpectedLibTorchVersion}.x and imports about 1,150 of its C++ symbols, which another version does not provide. {fix}";
        }

        return cudaLibrary
            ? CudaAdvice(library, folder, error)
            : $"TorchSharp could not start: {library} failed to load: {error}";
    }

    /// <summary>The message for a loader refusal caused by a missing <c>GLIBCXX_</c>/<c>CXXABI_</c> version.</summary>
    internal static string ExplainLibStdCxx(string library, string loaderError, string libStdCxxPath, string version)
    {
        LibStdCxxReport? report = null;
        try
        {
            report = LibStdCxxCheck.Check(libStdCxxPath, library);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Fall through to the plain message: the loader text alone is still better than TorchSharp's.
        }

        var needed = report is { Blocking.Count: > 0 } ? string.Join(", ", report.Blocking) : version;
        var has = report?.NewestProvided is { } newest ? $", which stops at {newest}" : "";
        var head = $"TorchSharp could not start: {library} requires {needed} from the C++ runtime, but the system's {libStdCxxPath} lacks it{has}.";
        var advice = string.Format(System.Globalization.CultureInfo.InvariantCulture, GlibcxxAdvice, needed);
        if (!Path.GetFileName(library).Contains("TorchSharp", StringComparison.Ordinal) && report?.Status != LibStdCxxStatus.Satisfied)
        {
            // A LibTorch library (e.g. from a PyTorch wheel) built for a newer Linux: the build fix covers only TorchSharp's glue.
            return $"{head} That LibTorch was built for a newer Linux than this one: use a LibTorch {TorchBackend.ExpectedLibTorchVersion}.x build that runs on this system, " +
                   $"or install a libstdc++ that provides {needed}. (Loader: {loaderError})";
        }
        return report?.Status switch
        {
            LibStdCxxStatus.NeedsPatch =>
                $"{head} This copy of the library still requires it (its {needed} requirement is not marked weak): the app was built without DeepExtensions' build targets, or they could not patch it. {advice}",
            LibStdCxxStatus.Satisfied =>
                $"TorchSharp could not start: {library} requires {version}. {libStdCxxPath} provides it, so another, older libstdc++ was loaded first " +
                $"(check LD_LIBRARY_PATH and LD_PRELOAD). (Loader: {loaderError})",
            _ => $"{head} {advice} (Loader: {loaderError})",
        };
    }

    private static string CudaAdvice(string library, LibTorchFolder? folder, string reason) =>
        $"The CUDA LibTorch library {library} failed to load: {reason}. " +
        "It needs an NVIDIA driver and the CUDA runtime libraries it was built with (for a PyTorch install, the nvidia-* pip packages installed beside it). " +
        $"Fix that, or train on the CPU: use ComputeDevice.Cpu and unset {TorchBackend.LibTorchDirectoryVariable}" +
        (folder is null ? "." : $" (now '{folder.Directory}').");

    private static bool IsLibTorch(string file) =>
        file.StartsWith("libtorch", StringComparison.Ordinal) || file.StartsWith("libc10", StringComparison.Ordinal)
        || file.StartsWith("libgomp", StringComparison.Ordinal) || file.StartsWith("torch", StringComparison.Ordinal) || file.StartsWith("c10", StringComparison.Ordinal);

    private static bool IsCudaRuntime(string file) =>
        CudaRuntime().IsMatch(file) && !file.StartsWith("libtorch", StringComparison.Ordinal) && !file.StartsWith("libc10", StringComparison.Ordinal);

    // glibc: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/libLibTorchSharp.so)"
    [GeneratedRegex(@"(?<provider>/[^:\s]+): version `(?<version>[^']+)' not found( \(required by (?<by>[^)]+)\))?")]
    private static partial Regex VersionNotFound();

    // glibc: "libtorch.so: cannot open shared object file: No such file or directory"
    [GeneratedRegex(@"(?<name>[^\s:]+): cannot open shared object file")]
    private static partial Regex CannotOpen();

    // glibc: "/app/libLibTorchSharp.so: undefined symbol: _ZN2at4_ops..."
    [GeneratedRegex(@"undefined symbol: (?<symbol>\S+)")]
    private static partial Regex UndefinedSymbol();

    [GeneratedRegex(@"^lib(cuda|cudart|cublas|cublasLt|cudnn|cufft|curand|cusolver|cusparse|nccl|nvrtc|nvJitLink|nvToolsExt|cupti|cufile|nvshmem)", RegexOptions.IgnoreCase)]
    private static partial Regex CudaRuntime();
}
