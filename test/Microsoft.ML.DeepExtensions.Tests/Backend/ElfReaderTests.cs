using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

[TestClass]
public sealed class ElfReaderTests
{
    [TestMethod]
    public void ReadsWhatLibStdCxxProvides()
    {
        BackendTestFiles.RequireLinuxX64();
        var provided = ElfReader.ReadVersionDefinitions(BackendTestFiles.SystemLibStdCxx);

        CollectionAssert.Contains(provided.ToList(), "GLIBCXX_3.4");
        CollectionAssert.Contains(provided.ToList(), "GLIBCXX_3.4.29");
        CollectionAssert.Contains(provided.ToList(), "CXXABI_1.3");
        CollectionAssert.DoesNotContain(provided.ToList(), "libstdc++.so.6", "The base entry (the soname) is not a version.");
    }

    [TestMethod]
    public void ReadsWhatTorchSharpsGlueRequires()
    {
        BackendTestFiles.RequireLinuxX64();
        var needs = ElfReader.ReadVersionNeeds(BackendTestFiles.OutputGlue);

        Assert.IsTrue(needs.Any(n => n.Library == "libc.so.6" && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal)));
        Assert.IsTrue(needs.Any(n => n.Library == "libstdc++.so.6" && n.Version == "CXXABI_1.3"));
        Assert.IsTrue(needs.Any(n => n.Version == BackendTestFiles.PatchedVersion));
    }

    [TestMethod]
    public void NonElfFileIsRejected()
    {
        using var temp = new BackendTestFiles.TempFolder();
        var text = temp.Write("not-elf.so", "this is a linker script, not a library, and it is long enough to be read as a header....");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ElfReader.ReadVersionNeeds(text));
        StringAssert.Contains(e.Message, "not an ELF file");
    }

    [TestMethod]
    public void TruncatedElfFileIsRejected()
    {
        BackendTestFiles.RequireLinuxX64();
        using var temp = new BackendTestFiles.TempFolder();
        var truncated = Path.Combine(temp.Path, "truncated.so");
        using (var source = File.OpenRead(BackendTestFiles.OutputGlue))
        using (var target = File.Create(truncated))
        {
            var head = new byte[4096];
            source.ReadExactly(head);
            target.Write(head);
        }
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ElfReader.ReadVersionNeeds(truncated));
        StringAssert.Contains(e.Message, "truncated");
    }
}
