using System.Reflection;
using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Starts TorchSharp's native backend once per process and picks the device to train and score on,
/// with errors that name the real cause.
/// </summary>
/// <remarks>
/// <para>
/// Why this exists: TorchSharp starts LibTorch in its static constructor, on first use of
/// <c>torch</c>, from the libraries that ship with the app, and reports any failure as
/// "doesn't contain a reference to libtorch-cpu-linux-x64". That state is final for the process.
/// So DeepExtensions starts it deliberately, first: it can load another LibTorch (a CUDA build, such
/// as a PyTorch install's <c>torch/lib</c>) before TorchSharp looks for one, and on Linux it loads
/// TorchSharp's native glue itself first, so a refusal by the loader (an old libstdc++, a missing
/// LibTorch, a LibTorch of another version) is explained in plain words before TorchSharp's state is
/// spoiled.
/// </para>
/// <para>
/// Trainers call <see cref="EnsureStarted"/> and <see cref="ResolveDevice"/>; apps need to call
/// <see cref="EnsureStarted"/> themselves only to pass a LibTorch folder in code rather than through
/// <see cref="LibTorchDirectoryVariable"/>, and then before anything else touches TorchSharp.
/// </para>
/// </remarks>
public static class TorchBackend
{
    /// <summary>
    /// The environment variable that names a LibTorch folder to use instead of the app's own, e.g.
    /// <c>/opt/venv/lib/python3.11/site-packages/torch/lib</c> for CUDA. Read once, when TorchSharp starts.
    /// </summary>
    public const string LibTorchDirectoryVariable = "DEEPEXT_LIBTORCH_DIR";

    private const string ArgumentOrigin = "LibTorchDirectory (given to TorchBackend.EnsureStarted)";

    private static readonly object Gate = new();
    private static volatile StartedState? _started;

    /// <summary>
    /// The LibTorch "major.minor" TorchSharp's native glue is built against (2.10 for TorchSharp
    /// 0.107), read from TorchSharp's metadata: reading <c>torch.__version__</c> would start LibTorch.
    /// </summary>
    internal static string ExpectedLibTorchVersion { get; } = ReadExpectedLibTorchVersion();

    /// <summary>
    /// Starts TorchSharp's native backend, from <paramref name="libTorchDirectory"/> (else
    /// <see cref="LibTorchDirectoryVariable"/>, else the LibTorch the app ships through TorchSharp-cpu).
    /// Safe to call any number of times from any thread; only the first call does work.
    /// </summary>
    /// <param name="libTorchDirectory">
    /// A folder of LibTorch shared libraries (<c>libc10.so</c>, <c>libtorch_cpu.so</c>,
    /// <c>libtorch.so</c>, and <c>libc10_cuda.so</c> + <c>libtorch_cuda.so</c> for CUDA) of the version
    /// TorchSharp is built against (2.10.x), or a libtorch root with such a <c>lib</c> folder. It is
    /// loaded before TorchSharp starts, because TorchSharp itself has no setting for it. Null to use
    /// <see cref="LibTorchDirectoryVariable"/> or the app's own LibTorch. After TorchSharp has started, a
    /// different folder is refused: a process can hold only one LibTorch.
    /// </param>
    /// <exception cref="TorchBackendException">
    /// TorchSharp could not start, or the folder is unusable. The message names the library and the
    /// reason (e.g. a libstdc++ without <c>GLIBCXX_3.4.32</c>, no LibTorch in the app, a LibTorch of
    /// another version, a CUDA library that does not load) and what to do.
    /// </exception>
    public static void EnsureStarted(string? libTorchDirectory = null)
    {
        var started = _started;
        if (started is null)
        {
            lock (Gate)
            {
                started = _started;
                if (started is null)
                {
                    var (directory, origin) = ChooseLibTorchDirectory(libTorchDirectory, Environment.GetEnvironmentVariable(LibTorchDirectoryVariable));
                    var folder = directory is null ? null
                        : LibTorchFolder.Inspect(directory, origin!, ExpectedLibTorchVersion, NativeLoader.FindInApp(NativeLoader.FileName("LibTorchSharp")));
                    Start(folder);
                    _started = new StartedState(folder);
                    return;
                }
            }
        }
        if (libTorchDirectory is not null)
            RequireSameFolder(started, libTorchDirectory);
    }

    /// <summary>
    /// Chooses the device to train or score on and starts TorchSharp if needed.
    /// </summary>
    /// <param name="device">
    /// <see cref="ComputeDevice.Auto"/>: the GPU when it exists, else the CPU. <see cref="ComputeDevice.Cpu"/>:
    /// the CPU. <see cref="ComputeDevice.Cuda"/>: the GPU; when it does not exist, the CPU with a warning if
    /// <c>MLContext.FallbackToCpu</c> is set, else an error.
    /// </param>
    /// <param name="cudaDeviceIndex">The GPU's number; null for <c>MLContext.GpuDeviceId</c>, or 0 when that is unset too.</param>
    /// <param name="env">The MLContext (or other host environment) whose <c>GpuDeviceId</c> and <c>FallbackToCpu</c> apply; may be null.</param>
    /// <param name="warn">
    /// Receives the warning when a GPU was asked for but the CPU is used. Null to write it to
    /// <paramref name="env"/>'s log instead.
    /// </param>
    /// <returns>The TorchSharp device, e.g. <c>cpu</c> or <c>cuda:0</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The device index, or <c>MLContext.GpuDeviceId</c>, is negative.</exception>
    /// <exception cref="TorchBackendException">
    /// <see cref="ComputeDevice.Cuda"/> was asked for, the GPU is not there and <c>FallbackToCpu</c> is not
    /// set; or TorchSharp could not start.
    /// </exception>
    public static torch.Device ResolveDevice(ComputeDevice device, int? cudaDeviceIndex, IHostEnvironment? env, Action<string>? warn = null)
    {
        if (!Enum.IsDefined(device))
            throw new ArgumentOutOfRangeException(nameof(device), device, $"Device must be Auto, Cpu or Cuda, got {(int)device}.");
        if (cudaDeviceIndex < 0)
            throw new ArgumentOutOfRangeException(nameof(cudaDeviceIndex), cudaDeviceIndex,
                $"CudaDeviceIndex must be 0 or more (the number of a GPU, as nvidia-smi lists them), got {cudaDeviceIndex}.");

        EnsureStarted();
        if (device == ComputeDevice.Cpu)
            return torch.CPU;

        int? contextIndex = env is null ? null : MlNetInternals.GetGpuDeviceId(env);
        if (cudaDeviceIndex is null && contextIndex < 0)
            throw new ArgumentOutOfRangeException(nameof(env), contextIndex,
                $"MLContext.GpuDeviceId must be 0 or more (the number of a GPU, as nvidia-smi lists them), got {contextIndex}.");
        int index = cudaDeviceIndex ?? contextIndex ?? 0;
        string indexSource = cudaDeviceIndex is not null ? "CudaDeviceIndex" : contextIndex is not null ? "MLContext.GpuDeviceId" : "the default";

        var (count, why) = CountCudaDevices();
        if (index < count)
            return new torch.Device(DeviceType.CUDA, index);

        var found = $"TorchSharp found {count} CUDA GPU{(count == 1 ? "" : "s")}{why}";
        if (device == ComputeDevice.Auto)
        {
            if (count > 0)
                Warn(env, warn, $"GPU {index} ({indexSource}) does not exist: {found}. Training runs on the CPU.");
            return torch.CPU;
        }

        if (env is not null && MlNetInternals.GetFallbackToCpu(env))
        {
            Warn(env, warn, $"ComputeDevice.Cuda asks for GPU {index} ({indexSource}), but {found}. MLContext.FallbackToCpu is set, so this runs on the CPU.");
            return torch.CPU;
        }
        throw new TorchBackendException(
            $"ComputeDevice.Cuda asks for CUDA device index {index} ({indexSource}), but {found}. " +
            "Set MLContext.FallbackToCpu = true to fall back to the CPU with a warning, or use ComputeDevice.Cpu (or Auto); " +
            $"to train on a GPU, set {LibTorchDirectoryVariable} to a CUDA build of LibTorch {ExpectedLibTorchVersion}.x, " +
            $"such as the torch/lib folder of a PyTorch {ExpectedLibTorchVersion}.x install, before TorchSharp starts.");
    }

    /// <summary>
    /// A short description of <paramref name="device"/> for logs, e.g. "cpu (2 threads)" or
    /// "cuda:0 (NVIDIA H100 80GB HBM3, 80 GiB)". Never throws for a device: where details cannot be
    /// read it falls back to the device's name.
    /// </summary>
    public static string Describe(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        try
        {
            switch (device.type)
            {
                case DeviceType.CPU:
                    EnsureStarted();
                    int threads = torch.get_num_threads();
                    return $"cpu ({threads} thread{(threads == 1 ? "" : "s")})";
                case DeviceType.CUDA:
                    int index = device.index < 0 ? 0 : device.index;
                    return CudaDriverInfo.TryGet(index) is { } gpu
                        ? $"cuda:{index} ({gpu.Name}, {gpu.TotalBytes / (1024.0 * 1024 * 1024):0} GiB)"
                        : $"cuda:{index}";
                default:
                    return device.ToString();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return device.type.ToString().ToLowerInvariant() + (device.index >= 0 ? $":{device.index}" : "");
        }
    }

    /// <summary>
    /// The folder to load and where it was named: the argument wins over the environment variable;
    /// an empty variable counts as unset.
    /// </summary>
    internal static (string? Directory, string? Origin) ChooseLibTorchDirectory(string? argument, string? environmentValue) =>
        argument is not null ? (argument, ArgumentOrigin)
        : !string.IsNullOrWhiteSpace(environmentValue) ? (environmentValue.Trim(), LibTorchDirectoryVariable)
        : (null, null);

    private static void Start(LibTorchFolder? folder)
    {
        // Read before anything loads, so that a bad value stops the start cleanly.
        bool oneDnnConvolutions = CpuConvolutions.UseOneDnn(Environment.GetEnvironmentVariable(CpuConvolutions.Variable));
        OpenMpWaitPolicy.PreferPassive();
        OneDnnInstructionSet.CapAtSse41();
        MallocTuning.Apply();
        if (folder is not null)
            Preload(folder);
        if (OperatingSystem.IsLinux())
            LoadGlueFirst(folder);
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            _ = torch.get_num_threads(); // A first call into the glue: proves its imports bound.
        }
        catch (Exception e) when (e is not TorchBackendException and not OutOfMemoryException)
        {
            throw ExplainStartFailure(e, folder);
        }
        LibTorchSwitch.Nnpack.Set(false);
        LibTorchSwitch.OneDnn.Set(oneDnnConvolutions);
    }

    /// <summary>
    /// Loads the folder's libraries in dependency order, so that TorchSharp's glue and LibTorch's own
    /// libraries later bind, by soname, to these copies. Refuses first when another LibTorch is, or
    /// would be, loaded as well: two LibTorch copies in one process abort it ("Tried to register
    /// multiple backend fallbacks"), and that cannot be caught.
    /// </summary>
    private static void Preload(LibTorchFolder folder)
    {
        foreach (var name in new[] { "c10", "torch_cpu", "torch" })
        {
            var wanted = folder.PathOf(name);
            if (NativeLoader.FindLoaded(NativeLoader.FileName(name)).FirstOrDefault(p => !NativeLoader.SameFile(p, wanted)) is { } other)
                throw new TorchBackendException(
                    $"LibTorch is already loaded in this process from '{Path.GetDirectoryName(other)}', so the one in '{folder.Directory}' ({folder.Origin}) cannot be used: " +
                    "a process can hold only one LibTorch. Call TorchBackend.EnsureStarted before anything else uses TorchSharp, or use a fresh process.");
        }

        // TorchSharp loads "torch_cpu" by name from the app's folders before its glue; an app copy there
        // would be loaded beside the preloaded one.
        if (NativeLoader.FindInApp(NativeLoader.FileName("torch_cpu")) is { } shipped && !NativeLoader.SameFile(shipped, folder.PathOf("torch_cpu")))
            throw new TorchBackendException(
                $"This app ships its own LibTorch ('{shipped}', e.g. from the TorchSharp-cpu package), and {folder.Origin} asks for the one in '{folder.Directory}'. " +
                "TorchSharp loads the app's LibTorch by name, so both would be loaded and the process would abort. " +
                $"To use {folder.Origin}, reference TorchSharp without TorchSharp-cpu in the app; to use the app's LibTorch, unset it.");

        foreach (var path in folder.LoadOrder)
        {
            if (NativeLoader.TryLoad(path) is { } error)
                throw new TorchBackendException(StartupDiagnosis.Explain(path, error, folder, AppShipsLibTorch()));
        }
    }

    /// <summary>
    /// Loads TorchSharp's glue (<c>libLibTorchSharp.so</c>) from the app's folders before TorchSharp
    /// does. A refusal here is reported with the loader's reason, and TorchSharp's static state stays
    /// untouched. On success TorchSharp later gets the same, already loaded, library.
    /// </summary>
    private static void LoadGlueFirst(LibTorchFolder? folder)
    {
        var glue = NativeLoader.FindInApp(NativeLoader.FileName("LibTorchSharp"));
        if (glue is null)
            return; // Not deployed beside the app (e.g. a notebook): TorchSharp searches its packages; failures are explained below.
        if (NativeLoader.TryLoad(glue) is { } error)
            throw new TorchBackendException(StartupDiagnosis.Explain(glue, error, folder, AppShipsLibTorch()));
    }

    private static TorchBackendException ExplainStartFailure(Exception e, LibTorchFolder? folder)
    {
        var cause = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
        string message;
        if (OperatingSystem.IsLinux() && NativeLoader.FindInApp(NativeLoader.FileName("LibTorchSharp")) is { } glue && NativeLoader.TryLoad(glue) is { } error)
        {
            message = StartupDiagnosis.Explain(glue, error, folder, AppShipsLibTorch());
        }
        else if (folder is null && NativeLoader.FindInApp(NativeLoader.FileName("torch_cpu")) is null && NativeLoader.FindLoaded(NativeLoader.FileName("torch_cpu")).Count == 0)
        {
            message = "TorchSharp could not start: this app has no LibTorch. Reference the TorchSharp-cpu package in the app project " +
                      $"(it brings LibTorch for the CPU), or set {LibTorchDirectoryVariable} to a LibTorch folder such as a PyTorch install's torch/lib.";
        }
        else
        {
            message = $"TorchSharp could not start: {FirstLine(cause.Message)}";
        }
        if (e is TypeInitializationException)
            message += " TorchSharp cannot be retried in this process once its start has failed; fix the cause and restart the app.";
        return new TorchBackendException(message, e);
    }

    private static void RequireSameFolder(StartedState started, string libTorchDirectory)
    {
        var asked = LibTorchFolder.Inspect(libTorchDirectory, ArgumentOrigin, ExpectedLibTorchVersion);
        if (started.Folder is not null && NativeLoader.SameFile(started.Folder.Directory, asked.Directory))
            return;
        var current = started.Folder is not null
            ? $"the LibTorch in '{started.Folder.Directory}' ({started.Folder.Origin})"
            : NativeLoader.FindLoaded(NativeLoader.FileName("torch_cpu")).FirstOrDefault() is { } loaded
                ? $"the app's own LibTorch ('{Path.GetDirectoryName(loaded)}')"
                : "the app's own LibTorch";
        throw new TorchBackendException(
            $"TorchSharp is already running on {current}, so '{asked.Directory}' cannot be used: a process can hold only one LibTorch. " +
            $"Call TorchBackend.EnsureStarted with that folder (or set {LibTorchDirectoryVariable}) before anything else uses TorchSharp, or use a fresh process.");
    }

    private static (int Count, string Why) CountCudaDevices()
    {
        try
        {
            if (torch.cuda.is_available())
                return (torch.cuda.device_count(), "");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (0, $" (asking LibTorch for CUDA failed: {FirstLine(e.Message)})");
        }
        return NativeLoader.FindLoaded(NativeLoader.FileName("torch_cuda")).FirstOrDefault() is { } cuda
            ? (0, $" (a CUDA LibTorch is loaded from '{Path.GetDirectoryName(cuda)}', but it sees no usable GPU: check the NVIDIA driver and CUDA_VISIBLE_DEVICES)")
            : (0, " (the LibTorch in use is CPU-only)");
    }

    private static void Warn(IHostEnvironment? env, Action<string>? warn, string message)
    {
        if (warn is not null)
        {
            warn(message);
            return;
        }
        if (env is null)
            return;
        using var channel = env.Start("DeepExtensions");
        channel.Warning(MessageSensitivity.None, message); // No arguments: the text is not used as a format string.
    }

    private static bool AppShipsLibTorch() => NativeLoader.FindInApp(NativeLoader.FileName("torch_cpu")) is not null;

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? text;

    private static string ReadExpectedLibTorchVersion()
    {
        // A const: GetRawConstantValue reads metadata and does not run torch's static constructor.
        var field = typeof(torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static);
        return field is { IsLiteral: true } && field.GetRawConstantValue() is string version
            ? LibTorchFolder.MajorMinor(version)
            : "2.10"; // TorchSharp 0.107.0, the version DeepExtensions pins.
    }

    private sealed record StartedState(LibTorchFolder? Folder);
}
