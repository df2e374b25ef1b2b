using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// Loads native libraries by path and, when that fails, returns the dynamic loader's own reason
/// (glibc's <c>dlerror</c> text such as "version `GLIBCXX_3.4.32' not found") rather than an
/// exception, so <see cref="TorchBackend"/> can explain the failure in plain words.
/// </summary>
/// <remarks>
/// Also answers where the app's native files live and which native libraries this process has
/// already mapped; both matter because one process can hold only one LibTorch.
/// </remarks>
internal static unsafe class NativeLoader
{
    private const int RtldLazy = 0x1;

    private static readonly Lazy<(nint Open, nint Error)> Dl = new(FindDl);

    /// <summary>The platform's file name for a native library's base name ("torch_cpu" → "libtorch_cpu.so").</summary>
    public static string FileName(string baseName) =>
        OperatingSystem.IsWindows() ? baseName + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + baseName + ".dylib"
        : "lib" + baseName + ".so";

    /// <summary>Loads <paramref name="path"/> (kept loaded for the life of the process); returns null, or why it failed.</summary>
    public static string? TryLoad(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return LoaderError(path) ?? e.Message;
        }
    }

    /// <summary>
    /// Repeats a failed load through <c>dlopen</c> to read <c>dlerror</c>: .NET wraps that text in a
    /// long generic message. glibc does not cache failures, so the repeat fails the same way.
    /// </summary>
    private static string? LoaderError(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return null;
        var (open, error) = Dl.Value;
        if (open == 0 || error == 0)
            return null;
        nint name = Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            nint handle = ((delegate* unmanaged<nint, int, nint>)open)(name, RtldLazy);
            if (handle != 0)
                return null; // It loaded this time: nothing to report (and the extra reference is harmless).
            nint text = ((delegate* unmanaged<nint>)error)();
            return text == 0 ? null : Marshal.PtrToStringUTF8(text);
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    private static (nint, nint) FindDl()
    {
        // libdl.so.2 exports dlopen/dlerror on every glibc (a forwarder since 2.34); macOS has them in libSystem.
        foreach (var library in OperatingSystem.IsMacOS() ? new[] { "/usr/lib/libSystem.B.dylib" } : new[] { "libdl.so.2", "libc.so.6" })
        {
            if (NativeLibrary.TryLoad(library, out var handle)
                && NativeLibrary.TryGetExport(handle, "dlopen", out var open)
                && NativeLibrary.TryGetExport(handle, "dlerror", out var error))
                return (open, error);
        }
        return (0, 0);
    }

    /// <summary>
    /// The folders .NET searches for the app's native libraries, in its order: the host's
    /// <c>NATIVE_DLL_SEARCH_DIRECTORIES</c> (from deps.json, e.g. <c>runtimes/linux-x64/native/</c>),
    /// then TorchSharp's own folder, then the app folder.
    /// </summary>
    public static IReadOnlyList<string> NativeSearchDirectories()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
            dirs.AddRange(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // typeof() does not run TorchSharp's static constructor (which would start LibTorch).
        var torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchSharpDir))
            dirs.Add(torchSharpDir);
        dirs.Add(AppContext.BaseDirectory);
        return dirs.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The first copy of <paramref name="fileName"/> in <see cref="NativeSearchDirectories"/>, or null.</summary>
    public static string? FindInApp(string fileName) =>
        NativeSearchDirectories().Select(d => Path.Combine(d, fileName)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Full paths of the mapped files named <paramref name="fileName"/>, or a versioned form of it
    /// (<c>libtorch_cpu.so.1.13.0</c>, as distributions install LibTorch), in this process (Linux:
    /// from <c>/proc/self/maps</c>, where symbolic links are already resolved); empty where that
    /// cannot be read.
    /// </summary>
    public static IReadOnlyList<string> FindLoaded(string fileName)
    {
        if (!OperatingSystem.IsLinux())
            return [];
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..] : null)
                .Where(path => path is not null && Path.GetFileName(path) is var name
                    && (name == fileName || name.StartsWith(fileName + ".", StringComparison.Ordinal)))
                .Select(path => path!)
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Whether two paths name the same file (after following symbolic links in every component).</summary>
    public static bool SameFile(string a, string b) =>
        string.Equals(RealPath(a), RealPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="path"/> with every symbolic link resolved, like POSIX <c>realpath</c>: the
    /// form <c>/proc/self/maps</c> reports (Debian's <c>/lib</c> is a link to <c>/usr/lib</c>).
    /// </summary>
    public static string RealPath(string path, int depth = 0)
    {
        var full = Path.GetFullPath(path);
        if (depth > 16)
            return full;
        var root = Path.GetPathRoot(full) ?? "";
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            try
            {
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                current = info.LinkTarget is null ? next : RealPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next, depth + 1);
            }
            catch (IOException)
            {
                current = next;
            }
            catch (UnauthorizedAccessException)
            {
                current = next;
            }
        }
        return current;
    }
}
