using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>One symbol-version requirement of an ELF shared library (an entry of <c>.gnu.version_r</c>).</summary>
/// <param name="Library">The library that must provide the version, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="IsWeak">
/// Whether <c>VER_FLG_WEAK</c> is set: glibc then tolerates a provider that lacks the version
/// instead of refusing to load the library. DeepExtensions' build fix sets it.
/// </param>
internal readonly record struct ElfVersionNeed(string Library, string Version, bool IsWeak);

/// <summary>
/// Reads the GNU symbol-versioning sections of a 64-bit little-endian ELF file: which versions a
/// library requires (<c>.gnu.version_r</c>) and which it provides (<c>.gnu.version_d</c>).
/// </summary>
/// <remarks>
/// This is how DeepExtensions tells, without loading anything, whether TorchSharp's
/// <c>libLibTorchSharp.so</c> can start against the system's <c>libstdc++</c>, and whether the
/// build-time fix (<c>build/MarkElfVersionsWeak.cs</c>, which has to stay a self-contained MSBuild
/// inline task and so keeps its own writer) took effect. Only the section headers, the two version
/// sections and their string table are read, never the whole file: <c>libtorch_cpu.so</c> is
/// hundreds of megabytes. Malformed input raises <see cref="InvalidDataException"/>, never an
/// out-of-range read.
/// </remarks>
internal static class ElfReader
{
    private const uint ShtDynsym = 11;
    private const int StbWeak = 2;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagBase = 0x1;
    private const ushort VerFlagWeak = 0x2;
    private const int SectionHeaderSize = 64;

    /// <summary>The symbol versions <paramref name="path"/> requires from other libraries.</summary>
    public static IReadOnlyList<ElfVersionNeed> ReadVersionNeeds(string path)
    {
        using var file = OpenReadOnly(path);
        var result = new List<ElfVersionNeed>();
        foreach (var (section, strings) in ReadLinkedSections(file, path, ShtGnuVerneed))
        {
            int need = 0;
            for (int guard = 0; guard < section.Length / 16 + 1; guard++)
            {
                int count = U16(section, need + 2, path);
                string library = CString(strings, U32(section, need + 4, path), path);
                long aux = need + (long)U32(section, need + 8, path);
                for (int a = 0; a < count; a++)
                {
                    int at = Checked(aux, section.Length, path);
                    ushort flags = U16(section, at + 4, path);
                    string version = CString(strings, U32(section, at + 8, path), path);
                    result.Add(new ElfVersionNeed(library, version, (flags & VerFlagWeak) != 0));
                    uint nextAux = U32(section, at + 12, path);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(section, need + 12, path);
                if (next == 0) break;
                need = Checked((long)need + next, section.Length, path);
            }
        }
        return result;
    }

    /// <summary>
    /// The symbol versions <paramref name="path"/> provides, e.g. <c>GLIBCXX_3.4.30</c> for a
    /// libstdc++ (the library's own base entry, its soname, is left out).
    /// </summary>
    public static IReadOnlyList<string> ReadVersionDefinitions(string path)
    {
        using var file = OpenReadOnly(path);
        var result = new List<string>();
        foreach (var (section, strings) in ReadLinkedSections(file, path, ShtGnuVerdef))
        {
            int def = 0;
            for (int guard = 0; guard < section.Length / 20 + 1; guard++)
            {
                ushort flags = U16(section, def + 2, path);
                int count = U16(section, def + 6, path);
                if ((flags & VerFlagBase) == 0 && count > 0)
                {
                    // The first auxiliary entry names the version; later ones name its parents.
                    int aux = Checked((long)def + U32(section, def + 12, path), section.Length, path);
                    result.Add(CString(strings, U32(section, aux, path), path));
                }
                uint next = U32(section, def + 16, path);
                if (next == 0) break;
                def = Checked((long)def + next, section.Length, path);
            }
        }
        return result;
    }

    /// <summary>
    /// The names in the dynamic symbol table: those the file must import (<paramref name="defined"/> false:
    /// section index 0, weak references left out since they may stay unresolved) or those it exports (true). TorchSharp's glue imports LibTorch's C++ symbols by
    /// these names, so comparing the two sets tells whether a LibTorch build can serve it, without
    /// loading anything.
    /// </summary>
    public static IReadOnlySet<string> ReadDynamicSymbols(string path, bool defined)
    {
        const int SymbolSize = 24; // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var file = OpenReadOnly(path);
        foreach (var (table, strings) in ReadLinkedSections(file, path, ShtDynsym))
        {
            for (int offset = SymbolSize; offset + SymbolSize <= table.Length; offset += SymbolSize) // entry 0 is the null symbol
            {
                uint name = U32(table, offset, path);
                bool isDefined = U16(table, offset + 6, path) != 0;
                bool isWeak = table[offset + 4] >> 4 == StbWeak;
                if (name != 0 && isDefined == defined && (defined || !isWeak))
                    names.Add(CString(strings, name, path));
            }
        }
        return names;
    }

    private static FileStream OpenReadOnly(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.RandomAccess);

    private static IEnumerable<(byte[] Section, byte[] Strings)> ReadLinkedSections(FileStream file, string path, uint type)
    {
        var header = ReadAt(file, 0, 64, path);
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
            throw new InvalidDataException($"'{path}' is not an ELF file.");
        if (header[4] != 2 || header[5] != 1)
            throw new InvalidDataException($"'{path}' is not a 64-bit little-endian ELF file, the only kind DeepExtensions reads.");

        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3A));
        long shnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3C));
        if (shoff == 0)
            yield break;
        if (shentsize < SectionHeaderSize)
            throw new InvalidDataException($"'{path}' has section headers of {shentsize} bytes; 64 were expected.");
        if (shnum == 0)
        {
            // Extended numbering: the real count sits in the first section header's sh_size.
            var first = ReadAt(file, shoff, SectionHeaderSize, path);
            shnum = (long)BinaryPrimitives.ReadUInt64LittleEndian(first.AsSpan(0x20));
        }
        if (shnum > 65536 * 16)
            throw new InvalidDataException($"'{path}' claims {shnum} sections.");

        var table = ReadAt(file, shoff, checked((int)(shnum * shentsize)), path);
        for (int i = 0; i < shnum; i++)
        {
            var sh = table.AsSpan(i * shentsize, SectionHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != type)
                continue;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            if (link >= shnum)
                throw new InvalidDataException($"'{path}': a section links to section {link} of {shnum}.");
            var linked = table.AsSpan((int)link * shentsize, SectionHeaderSize);
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(linked[0x18..]);
            long strSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(linked[0x20..]);
            yield return (ReadAt(file, offset, SizeOf(size, path), path), ReadAt(file, strOffset, SizeOf(strSize, path), path));
        }
    }

    private static int SizeOf(long size, string path) =>
        size is >= 0 and <= 256 * 1024 * 1024
            ? (int)size
            : throw new InvalidDataException($"'{path}' has a symbol or version section or string table of {size} bytes.");

    private static byte[] ReadAt(FileStream file, long offset, int count, string path)
    {
        if (offset < 0 || offset + count > file.Length)
            throw new InvalidDataException($"'{path}' is truncated: {count} bytes at offset {offset} lie past its end ({file.Length} bytes).");
        var buffer = new byte[count];
        file.Position = offset;
        file.ReadExactly(buffer);
        return buffer;
    }

    private static int Checked(long offset, int length, string path) =>
        offset >= 0 && offset < length
            ? (int)offset
            : throw new InvalidDataException($"'{path}': a version entry points outside its section (offset {offset} of {length}).");

    private static ushort U16(byte[] data, int offset, string path) =>
        offset >= 0 && offset + 2 <= data.Length
            ? BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset))
            : throw new InvalidDataException($"'{path}': a version entry is cut off at offset {offset}.");

    private static uint U32(byte[] data, int offset, string path) =>
        offset >= 0 && offset + 4 <= data.Length
            ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset))
            : throw new InvalidDataException($"'{path}': a version entry is cut off at offset {offset}.");

    private static string CString(byte[] strings, uint start, string path)
    {
        if (start >= strings.Length)
            throw new InvalidDataException($"'{path}': a name points outside its string table.");
        int end = Array.IndexOf(strings, (byte)0, (int)start);
        if (end < 0)
            throw new InvalidDataException($"'{path}': a name is not terminated.");
        return Encoding.ASCII.GetString(strings, (int)start, end - (int)start);
    }
}
