using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>How a native library's C++ runtime requirements compare with a given libstdc++.</summary>
internal enum LibStdCxxStatus
{
    /// <summary>The libstdc++ provides every <c>GLIBCXX_</c>/<c>CXXABI_</c> version the library asks for.</summary>
    Satisfied,

    /// <summary>Some versions are missing, but every missing one is marked weak, so the library still loads.</summary>
    PatchedWeak,

    /// <summary>Some missing versions are required (not weak): the loader will refuse the library.</summary>
    NeedsPatch,
}

/// <summary>The outcome of <see cref="LibStdCxxCheck.Check"/>.</summary>
/// <param name="Status">Whether the library will load against this libstdc++.</param>
/// <param name="LibraryPath">The library that was checked (e.g. a <c>libLibTorchSharp.so</c>).</param>
/// <param name="LibStdCxxPath">The libstdc++ it was checked against.</param>
/// <param name="Missing">Versions the library requires and the libstdc++ lacks, weak or not.</param>
/// <param name="Blocking">The subset of <paramref name="Missing"/> that is not weak.</param>
/// <param name="NewestProvided">The newest <c>GLIBCXX_</c> version the libstdc++ provides, or null.</param>
internal sealed record LibStdCxxReport(
    LibStdCxxStatus Status,
    string LibraryPath,
    string LibStdCxxPath,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Blocking,
    string? NewestProvided);

/// <summary>
/// Tells, without loading anything, whether a native library will start against a libstdc++.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> (GCC 13) although no
/// relocation uses it; Debian 12's libstdc++ stops at <c>GLIBCXX_3.4.30</c>. The loader's refusal
/// surfaces from TorchSharp as a misleading "doesn't contain a reference to libtorch-cpu-linux-x64".
/// This check lets <see cref="TorchBackend"/> name the real cause, and lets tests prove that the
/// build fix (which marks the requirement weak in the output copy) ran. A pure function of two
/// files, so it is testable on any copy of the library.
/// </remarks>
internal static class LibStdCxxCheck
{
    /// <summary>Where Debian and Ubuntu keep the system libstdc++ for the current architecture.</summary>
    public static string DefaultLibStdCxxPath => RuntimeInformation.ProcessArchitecture == Architecture.Arm64
        ? "/usr/lib/aarch64-linux-gnu/libstdc++.so.6"
        : "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

    /// <summary>Compares the libstdc++ versions <paramref name="libraryPath"/> requires with those <paramref name="libStdCxxPath"/> provides.</summary>
    /// <exception cref="FileNotFoundException">Either file does not exist.</exception>
    /// <exception cref="InvalidDataException">Either file is not a readable 64-bit ELF file.</exception>
    public static LibStdCxxReport Check(string libStdCxxPath, string libraryPath)
    {
        RequireFile(libStdCxxPath);
        RequireFile(libraryPath);
        var provided = new HashSet<string>(ElfReader.ReadVersionDefinitions(libStdCxxPath), StringComparer.Ordinal);
        var needs = ElfReader.ReadVersionNeeds(libraryPath)
            .Where(n => n.Library.StartsWith("libstdc++", StringComparison.Ordinal))
            .ToList();
        var missing = needs.Where(n => !provided.Contains(n.Version)).ToList();
        var blocking = missing.Where(n => !n.IsWeak).Select(n => n.Version).Distinct().ToList();
        var status = missing.Count == 0 ? LibStdCxxStatus.Satisfied
            : blocking.Count == 0 ? LibStdCxxStatus.PatchedWeak
            : LibStdCxxStatus.NeedsPatch;
        string? newest = provided.Where(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal))
            .OrderBy(v => v, VersionNameComparer.Instance)
            .LastOrDefault();
        return new LibStdCxxReport(status, libraryPath, libStdCxxPath,
            missing.Select(n => n.Version).Distinct().ToList(), blocking, newest);
    }

    /// <summary>Whether <paramref name="libStdCxxPath"/> provides <paramref name="version"/> (e.g. <c>GLIBCXX_3.4.32</c>).</summary>
    public static bool Provides(string libStdCxxPath, string version)
    {
        RequireFile(libStdCxxPath);
        return ElfReader.ReadVersionDefinitions(libStdCxxPath).Contains(version, StringComparer.Ordinal);
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist.", path);
    }

    /// <summary>Orders <c>GLIBCXX_3.4.9</c> before <c>GLIBCXX_3.4.30</c> (numerically, part by part).</summary>
    private sealed class VersionNameComparer : IComparer<string>
    {
        public static readonly VersionNameComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = Parts(x);
            var b = Parts(y);
            for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
            {
                int c = (i < a.Length ? a[i] : -1).CompareTo(i < b.Length ? b[i] : -1);
                if (c != 0) return c;
            }
            return 0;
        }

        private static int[] Parts(string? name)
        {
            var tail = name?[(name.IndexOf('_') + 1)..] ?? "";
            return tail.Split('.').Select(p => int.TryParse(p, out var n) ? n : 0).ToArray();
        }
    }
}
