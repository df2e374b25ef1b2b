using System.Text.RegularExpressions;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// A folder of LibTorch shared libraries that <see cref="TorchBackend"/> loads in place of the ones
/// an app ships: typically a PyTorch install's <c>torch/lib</c> (the only easy source of a CUDA
/// LibTorch here), or a libtorch distribution's <c>lib</c>.
/// </summary>
/// <remarks>
/// Everything is checked before a single library is loaded, because native loads cannot be undone:
/// a wrong folder would leave the process unable to start TorchSharp at all.
/// </remarks>
internal sealed partial class LibTorchFolder
{
    private LibTorchFolder(string origin, string directory, string? version, string? versionSource, IReadOnlyList<string> loadOrder, bool hasCuda)
    {
        Origin = origin;
        Directory = directory;
        Version = version;
        VersionSource = versionSource;
        LoadOrder = loadOrder;
        HasCuda = hasCuda;
    }

    /// <summary>Where the folder was named, for messages: <c>DEEPEXT_LIBTORCH_DIR</c> or the <c>libTorchDirectory</c> argument.</summary>
    public string Origin { get; }

    /// <summary>The folder that holds the libraries (a given root's <c>lib</c> subfolder where it has one).</summary>
    public string Directory { get; }

    /// <summary>The LibTorch version read from the folder (e.g. <c>2.10.0+cu128</c>), or null when it has no version file.</summary>
    public string? Version { get; }

    /// <summary>The file <see cref="Version"/> was read from, or null.</summary>
    public string? VersionSource { get; }

    /// <summary>
    /// Full paths to load, in dependency order: <c>c10</c>, <c>torch_cpu</c>, then (when present)
    /// <c>c10_cuda</c> and <c>torch_cuda</c>, then <c>torch</c>. Loading each one before the next
    /// lets the loader resolve later libraries' dependencies to these copies by their soname.
    /// </summary>
    public IReadOnlyList<string> LoadOrder { get; }

    /// <summary>Whether the folder holds LibTorch's CUDA libraries.</summary>
    public bool HasCuda { get; }

    /// <summary>The path of one of the folder's libraries, by base name ("torch_cpu").</summary>
    public string PathOf(string baseName) => Path.Combine(Directory, NativeLoader.FileName(baseName));

    /// <summary>
    /// Checks that <paramref name="directory"/> is a LibTorch folder of the version TorchSharp was
    /// built for (<paramref name="expectedVersion"/>, "major.minor"), without loading anything.
    /// </summary>
    /// <param name="directory">The folder; a libtorch root with a <c>lib</c> subfolder is accepted too.</param>
    /// <param name="origin">Where the folder came from, for messages (e.g. "DEEPEXT_LIBTORCH_DIR").</param>
    /// <param name="expectedVersion">The LibTorch "major.minor" TorchSharp's native glue binds to.</param>
    /// <exception cref="TorchBackendException">The folder is missing, incomplete or of another LibTorch version.</exception>
    /// <param name="gluePath">TorchSharp's native glue (libLibTorchSharp), when known: a folder of another version is then accepted if it exports every LibTorch symbol the glue imports.</param>
    public static LibTorchFolder Inspect(string directory, string origin, string expectedVersion, string? gluePath = null)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new TorchBackendException($"{origin} is empty; it must name a folder of LibTorch libraries, such as a PyTorch install's torch/lib.");
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new TorchBackendException($"{origin} points to '{full}', which does not exist. It must name a folder of LibTorch libraries, such as a PyTorch install's torch/lib.");

        // A libtorch distribution's root (or PyTorch's torch/) holds the libraries in lib/.
        var lib = Path.Combine(full, "lib");
        if (!File.Exists(Path.Combine(full, NativeLoader.FileName("torch_cpu"))) && File.Exists(Path.Combine(lib, NativeLoader.FileName("torch_cpu"))))
            full = lib;

        string[] required = ["c10", "torch_cpu", "torch"];
        var missing = required.Select(NativeLoader.FileName).Where(f => !File.Exists(Path.Combine(full, f))).ToList();
        if (missing.Count > 0)
            throw new TorchBackendException(
                $"{origin} points to '{full}', which is not a LibTorch folder: it lacks {string.Join(", ", missing)}. " +
                "Point it at the folder that holds LibTorch's shared libraries: a PyTorch install's torch/lib, or a libtorch distribution's lib folder.");

        bool hasCudaTorch = File.Exists(Path.Combine(full, NativeLoader.FileName("torch_cuda")));
        bool hasCudaC10 = File.Exists(Path.Combine(full, NativeLoader.FileName("c10_cuda")));
        if (hasCudaTorch != hasCudaC10)
            throw new TorchBackendException(
                $"{origin} points to '{full}', whose CUDA libraries are incomplete: it has {(hasCudaTorch ? NativeLoader.FileName("torch_cuda") : NativeLoader.FileName("c10_cuda"))} " +
                $"but not {(hasCudaTorch ? NativeLoader.FileName("c10_cuda") : NativeLoader.FileName("torch_cuda"))}. Reinstall that LibTorch, or point {origin} at a complete one.");

        var (version, source) = ReadVersion(full);
        if (version is not null && MajorMinor(version) != expectedVersion)
        {
            // The version alone does not decide it: a neighbouring LibTorch may still export every
            // C++ symbol TorchSharp's glue imports. Without the glue at hand there is nothing to compare.
            IReadOnlyList<string>? missingImports;
            try
            {
                missingImports = gluePath is null ? null : MissingImports(gluePath, full, hasCudaTorch);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new TorchBackendException($"{origin} points to '{full}', whose LibTorch {version} libraries cannot be read: {e.Message}", e);
            }
            if (missingImports is null || missingImports.Count > 0)
                throw new TorchBackendException(
                    $"{origin} points to '{full}', which holds LibTorch {version} (read from {source}), but TorchSharp here is built against LibTorch {expectedVersion}.x. " +
                    (missingImports is null
                        ? $"Its native glue imports about 1,150 LibTorch C++ symbols that only a {expectedVersion}.x build is known to provide. "
                        : $"{missingImports.Count} of the LibTorch C++ symbols its native glue imports are not exported there, e.g. {string.Join(", ", missingImports.Take(3))}. ") +
                    $"Use a LibTorch {expectedVersion}.x folder, e.g. the torch/lib folder of a PyTorch {expectedVersion}.x install.");
        }

        var order = new List<string> { "c10", "torch_cpu" };
        if (hasCudaTorch)
            order.AddRange(["c10_cuda", "torch_cuda"]);
        order.Add("torch");
        return new LibTorchFolder(origin, full, version, source, order.Select(n => Path.Combine(full, NativeLoader.FileName(n))).ToList(), hasCudaTorch);
    }

    /// <summary>
    /// The LibTorch C++ symbols (namespaces <c>at</c>, <c>c10</c>, <c>torch</c>) that <paramref name="gluePath"/>
    /// imports and none of the folder's libraries exports; empty when the folder can serve the glue.
    /// </summary>
    internal static IReadOnlyList<string> MissingImports(string gluePath, string libDirectory, bool withCuda)
    {
        var exported = new HashSet<string>(StringComparer.Ordinal);
        string[] libraries = withCuda ? ["c10", "torch_cpu", "torch", "c10_cuda", "torch_cuda"] : ["c10", "torch_cpu", "torch"];
        foreach (var library in libraries)
            exported.UnionWith(ElfReader.ReadDynamicSymbols(Path.Combine(libDirectory, NativeLoader.FileName(library)), defined: true));
        return ElfReader.ReadDynamicSymbols(gluePath, defined: false)
            .Where(IsLibTorchSymbol)
            .Where(name => !exported.Contains(name))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Itanium-mangled names in LibTorch's namespaces (<c>at</c>, <c>c10</c>, <c>torch</c>, <c>caffe2</c>):
    /// functions and data (<c>_ZN2at…</c>, <c>_ZNK3c10…</c>) and type info, vtables and TLS wrappers (<c>_ZTIN3c10…</c>).
    /// </summary>
    internal static bool IsLibTorchSymbol(string name) => LibTorchMangledName().IsMatch(name);

    [GeneratedRegex(@"^_Z(?:N[KVRO]*|T[IVSHW]N)(?:2at|3c10|5torch|6caffe2)")]
    private static partial Regex LibTorchMangledName();

    /// <summary>
    /// Reads the LibTorch version a folder declares: PyTorch writes <c>torch/version.py</c> beside
    /// <c>torch/lib</c>; a libtorch distribution has a <c>build-version</c> file in its root.
    /// </summary>
    internal static (string? Version, string? Source) ReadVersion(string libDirectory)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(libDirectory));
        var candidates = new List<string>();
        if (parent is not null)
            candidates.AddRange([Path.Combine(parent, "version.py"), Path.Combine(parent, "build-version")]);
        candidates.AddRange([Path.Combine(libDirectory, "version.py"), Path.Combine(libDirectory, "build-version")]);
        foreach (var file in candidates.Where(File.Exists))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            var version = Path.GetFileName(file) == "version.py"
                ? PythonVersion().Match(text) is { Success: true } m ? m.Groups[1].Value : null
                : text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (!string.IsNullOrEmpty(version))
                return (version, file);
        }
        return (null, null);
    }

    /// <summary>"2.10.0+cu128" → "2.10"; "2.10.0.0" → "2.10".</summary>
    internal static string MajorMinor(string version)
    {
        var m = LeadingVersion().Match(version);
        return m.Success ? $"{m.Groups[1].Value}.{m.Groups[2].Value}" : version.Trim();
    }

    [GeneratedRegex(@"^\s*__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex PythonVersion();

    [GeneratedRegex(@"^\s*v?(\d+)\.(\d+)")]
    private static partial Regex LeadingVersion();
}
