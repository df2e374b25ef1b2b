using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;

namespace Microsoft.ML.DeepExtensions.Tests.Persistence;

[TestClass]
public sealed class ModelPersistenceTests
{
    private const string RegistrationCall = "mlContext.RegisterDeepExtensions()";

    public TestContext TestContext { get; set; } = null!;

    private string _directory = null!;

    [TestInitialize]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "dx-persistence-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TestCleanup]
    public void DeleteDirectory()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [TestMethod]
    public void BridgeResolvesEveryMlNetMember()
    {
        MlNetPersistenceBridge.EnsureResolved();
    }

    [TestMethod]
    public void MlNetInUse_IsTheVersionTheBridgeWasVerifiedAgainst()
    {
        // When this fails after a Microsoft.ML upgrade: rerun these tests, re-read the internals listed in
        // MlNetPersistenceBridge (and ML.NET's CustomMapping loader), then update VerifiedMlNetVersion.
        Assert.AreEqual(MlNetPersistenceBridge.VerifiedMlNetVersion, MlNetPersistenceBridge.MlNetVersionInUse);
    }

    [TestMethod]
    public void ChainWithRealTransforms_LoadsInNewRegisteredContext_WithIdenticalOutputs()
    {
        var (path, expected) = SaveTestModel();

        var ml = new MLContext(seed: 2).RegisterDeepExtensions();
        var loaded = ml.Model.Load(path, out var inputSchema);

        Assert.IsNotNull(inputSchema);
        var transformers = ((TransformerChain<ITransformer>)loaded).ToArray();
        Assert.AreEqual(3, transformers.Length);
        var addConstant = (AddConstantTransformer)transformers[1];
        CollectionAssert.AreEqual(PersistenceTestData.Constant, addConstant.Constant);
        Assert.AreEqual("Features", addConstant.InputColumn);
        Assert.AreEqual("Shifted", addConstant.OutputColumn);
        CollectionAssert.AreEqual(expected, PersistenceTestData.Score(ml, loaded, PersistenceTestData.Data(ml)));

        // A loaded model saves again, and that copy loads in yet another context.
        string again = Path.Combine(_directory, "again.zip");
        ml.Model.Save(loaded, inputSchema, again);
        var ml3 = new MLContext().RegisterDeepExtensions();
        CollectionAssert.AreEqual(expected, PersistenceTestData.Score(ml3, ml3.Model.Load(again, out _), PersistenceTestData.Data(ml3)));
    }

    [TestMethod]
    public void SingleTransformer_SavedWithoutChain_RoundTrips()
    {
        var ml = new MLContext(seed: 1);
        var transformer = new AddConstantTransformer("Features", "Shifted", PersistenceTestData.Constant);
        string path = Path.Combine(_directory, "single.zip");
        ml.Model.Save(transformer, PersistenceTestData.Data(ml).Schema, path);

        var loaded = new MLContext().RegisterDeepExtensions().Model.Load(path, out _);

        CollectionAssert.AreEqual(PersistenceTestData.Constant, ((AddConstantTransformer)loaded).Constant);
    }

    [TestMethod]
    public void FreshProcess_LoadsModel_WithIdenticalOutputs()
    {
        var (path, expected) = SaveTestModel();

        var result = FreshProcessLoader.Run(path, register: true);

        Assert.AreEqual(0, result.ExitCode, $"child failed: {string.Join(Environment.NewLine, result.Lines)}{Environment.NewLine}{result.StandardError}");
        Assert.AreEqual("loaderKnownBeforeLoad=False", result.Lines[0], "the child must start without our loader, or it proves nothing");
        Assert.AreEqual("staticConstructorRuns=1", result.Lines[1]);
        CollectionAssert.AreEqual(expected, result.Lines.Skip(2).ToArray());
    }

    [TestMethod]
    public void FreshProcess_WithoutRegistration_FailsNamingTheRegistrationCall()
    {
        var (path, _) = SaveTestModel();

        var result = FreshProcessLoader.Run(path, register: false);

        Assert.AreEqual(3, result.ExitCode, result.StandardError);
        Assert.AreEqual("EXCEPTION", result.Lines[1]);
        StringAssert.Contains(result.Lines[2], RegistrationCall);
    }

    [TestMethod]
    public void NewContextWithoutRegistration_FailsNamingTheRegistrationCall_EvenAfterAnotherContextRegistered()
    {
        var (path, _) = SaveTestModel();
        new MLContext().RegisterDeepExtensions().Model.Load(path, out _); // registration of one context ...

        var ex = Catch(() => new MLContext().Model.Load(path, out _));      // ... does not leak into another

        string messages = Messages(ex);
        StringAssert.Contains(messages, RegistrationCall);
        StringAssert.Contains(messages, AddConstantTransformer.LoaderSignature);
        StringAssert.Contains(ex.GetBaseException().Message, RegistrationCall, "the innermost exception must carry the advice");
        TestContext.WriteLine(messages);
    }

    [TestMethod]
    public void RegisterDeepExtensions_IsIdempotentAndThreadSafe()
    {
        var (path, expected) = SaveTestModel();
        var ml = new MLContext(seed: 3);

        Parallel.For(0, 32, _ => ml.RegisterDeepExtensions());
        ml.RegisterDeepExtensions();

        Assert.AreSame(ml, ml.RegisterDeepExtensions());
        CollectionAssert.AreEqual(expected, PersistenceTestData.Score(ml, ml.Model.Load(path, out _), PersistenceTestData.Data(ml)));
    }

    [TestMethod]
    public void SavedEntry_HeaderNamesDispatcherFallbackAndTransformsAssembly()
    {
        var (path, _) = SaveTestModel();
        byte[] entry = [];
        RewriteOurEntry(path, bytes => entry = bytes);

        string Ascii(int offset, int count) => Encoding.ASCII.GetString(entry, offset, count).TrimEnd('\0');
        Assert.AreEqual(MlNetPersistenceBridge.FallbackModelSignature, Ascii(0x40, 8));
        Assert.AreEqual(MlNetPersistenceBridge.FallbackVersion, BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(0x48)));
        Assert.AreEqual(MlNetPersistenceBridge.DispatcherLoaderSignature, Ascii(0x50, 24));
        Assert.AreEqual(MlNetPersistenceBridge.FallbackLoaderSignature, Ascii(0x68, 24));
        long fpAssembly = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(0x90));
        int cbAssembly = (int)BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(0x98));
        StringAssert.StartsWith(Encoding.Unicode.GetString(entry, (int)fpAssembly, cbAssembly), "Microsoft.ML.Transforms, ");
    }

    [TestMethod]
    public void FlippedPayloadByte_FailsWithChecksumMismatch()
    {
        var (path, _) = SaveTestModel();
        string entry = RewriteOurEntry(path, bytes =>
        {
            long fpModel = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x10));
            long cbModel = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x18));
            bytes[fpModel + cbModel - 3] ^= 0x40; // inside the last float of the constant
            return bytes;
        });

        var ex = Catch(() => new MLContext().RegisterDeepExtensions().Model.Load(path, out _));

        var damage = ex.GetBaseException();
        Assert.IsInstanceOfType<InvalidDataException>(damage, Messages(ex));
        StringAssert.Contains(damage.Message, $"model.zip entry '{entry}' is damaged: checksum mismatch");
        TestContext.WriteLine(Messages(ex));
    }

    [TestMethod]
    public void FlippedFrameHeaderByte_FailsWithChecksumMismatch()
    {
        var (path, _) = SaveTestModel();
        RewriteOurEntry(path, bytes =>
        {
            long fpModel = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x10));
            int versionOffset = MlNetPersistenceBridge.FallbackPrefixBytes + 4 + 4 + 1 + AddConstantTransformer.LoaderSignature.Length + 8;
            bytes[fpModel + versionOffset] ^= 0x02; // payload version 1 -> 3
            return bytes;
        });

        var ex = Catch(() => new MLContext().RegisterDeepExtensions().Model.Load(path, out _));

        Assert.IsInstanceOfType<InvalidDataException>(ex.GetBaseException(), Messages(ex));
        StringAssert.Contains(ex.GetBaseException().Message, "checksum mismatch");
    }

    [TestMethod]
    public void TruncatedEntry_FailsWithMlNetDecodeError()
    {
        var (path, _) = SaveTestModel();
        RewriteOurEntry(path, bytes => bytes[..(bytes.Length / 2)]);

        var ex = Catch(() => new MLContext().RegisterDeepExtensions().Model.Load(path, out _));

        // ML.NET checks its own entry header (block sizes, tail) before any loader runs, and reports a cut
        // entry with its decode error (FormatException); a cut that got past it would meet our frame check.
        Assert.IsTrue(ex.GetBaseException() is FormatException or InvalidDataException, Messages(ex));
        TestContext.WriteLine(Messages(ex));
    }

    [TestMethod]
    public void TruncatedZipFile_FailsWithCorruptionMessage()
    {
        var (path, _) = SaveTestModel();
        byte[] zip = File.ReadAllBytes(path);
        File.WriteAllBytes(path, zip[..(zip.Length * 2 / 3)]);

        var ex = Catch(() => new MLContext().RegisterDeepExtensions().Model.Load(path, out _));

        string messages = Messages(ex);
        Assert.IsTrue(ex is InvalidDataException || ex.GetBaseException() is InvalidDataException, messages);
        TestContext.WriteLine(messages);
    }

    [TestMethod]
    public void LargePayload_RoundTripsExactly()
    {
        const int Count = 8_000_000; // 32 MB of "weights"
        var random = new Random(7);
        var constant = new float[Count];
        for (int i = 0; i < Count; i++)
            constant[i] = (float)(random.NextDouble() * 2 - 1);
        var ml = new MLContext(seed: 1);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, Count));
        string path = Path.Combine(_directory, "large.zip");

        var watch = Stopwatch.StartNew();
        ml.Model.Save(new AddConstantTransformer("Features", "Shifted", constant), schema.ToSchema(), path);
        var saved = watch.Elapsed;
        var loaded = (AddConstantTransformer)new MLContext().RegisterDeepExtensions().Model.Load(path, out _);
        var total = watch.Elapsed;

        Assert.IsTrue(constant.AsSpan().SequenceEqual(loaded.Constant), "loaded weights differ");
        TestContext.WriteLine($"{Count * 4 / 1e6:F0} MB payload: save {saved.TotalSeconds:F2} s, load {(total - saved).TotalSeconds:F2} s, zip {new FileInfo(path).Length / 1e6:F1} MB");
    }

    [TestMethod]
    public void Save_WithoutAddedLoader_FailsBeforeWritingAnUnloadableModel()
    {
        var ml = new MLContext();
        var ex = Catch(() => ml.Model.Save(new UnregisteredTransformer(), null, Path.Combine(_directory, "x.zip")));

        Assert.IsInstanceOfType<InvalidOperationException>(ex);
        StringAssert.Contains(ex.Message, "no loader was added");
    }

    [TestMethod]
    public void AddLoader_RejectsASignatureTakenByAnotherType()
    {
        _ = new AddConstantTransformer("a", "b", []); // runs its static constructor

        var ex = Catch(() => DeepExtensionsRegistration.AddLoader(AddConstantTransformer.LoaderSignature, typeof(UnregisteredTransformer), (_, _) => new object()));

        Assert.IsInstanceOfType<InvalidOperationException>(ex);
        DeepExtensionsRegistration.AddLoader(AddConstantTransformer.LoaderSignature, typeof(AddConstantTransformer), (_, _) => null!); // same type: no-op
        Assert.IsTrue(DeepExtensionsRegistration.TryGetLoader(AddConstantTransformer.LoaderSignature, out var entry));
        Assert.AreEqual(typeof(AddConstantTransformer), entry.InstanceType);
    }

    [TestMethod]
    [DataRow("No.Such.Type, NoSuchAssembly", "was not found")]
    [DataRow("System.Text.StringBuilder, System.Private.CoreLib", "is not a DeepExtensions component")] // never initialized
    public void Load_OfUnknownLoader_NamesTheLoaderAndWhy(string loaderTypeName, string why)
    {
        var entry = new MemoryStream();
        entry.Write(new byte[MlNetPersistenceBridge.FallbackPrefixBytes]);
        PersistedModelFrame.Write(entry, "NotInThisProcess", "NOPE", 1, loaderTypeName, w => w.Write(1));
        entry.Position = 0;

        var ex = Catch(() => ModelPersistence.Load(new MLContext(), new BinaryReader(entry), "Dir/Model.key"));

        Assert.IsInstanceOfType<InvalidOperationException>(ex);
        StringAssert.Contains(ex.Message, "Model entry 'Dir/Model.key' needs the DeepExtensions loader 'NotInThisProcess'");
        StringAssert.Contains(ex.Message, why);
    }

    [TestMethod]
    [DataRow("", "TSTADDC")]
    [DataRow("ThisLoaderSignatureIsTooLong", "TSTADDC")]
    [DataRow("Ok", "TOOLONGSIG")]
    [DataRow("Ok", "")]
    [DataRow("Ok", "é")]
    public void Frame_RejectsBadSignatures(string loaderSignature, string modelSignature)
    {
        var ex = Catch(() => PersistedModelFrame.Write(new MemoryStream(), loaderSignature, modelSignature, 1, "T, A", _ => { }));

        Assert.IsInstanceOfType<ArgumentException>(ex);
    }

    [TestMethod]
    public void Frame_RoundTripsAndLeavesStreamAtPayload()
    {
        var stream = new MemoryStream();
        stream.Write([9, 9, 9]);
        PersistedModelFrame.Write(stream, "Sig", "MODEL", 7, "Some.Type, Some", w => w.Write("payload"));
        stream.Position = 3;

        var (info, start, length) = PersistedModelFrame.ReadAndVerify(stream, "e");

        Assert.AreEqual(new PersistedModelInfo("Sig", "MODEL", 7, "Some.Type, Some", "e"), info);
        Assert.AreEqual(start, stream.Position);
        Assert.AreEqual(stream.Length - start, length);
        Assert.AreEqual("payload", new BinaryReader(stream).ReadString());
    }

    [TestMethod]
    public void Frame_EveryTruncation_GivesInvalidDataException()
    {
        byte[] frame = FrameBytes(new byte[100]);
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var ex = Catch(() => PersistedModelFrame.ReadAndVerify(new MemoryStream(frame[..cut]), "e"));
            Assert.IsInstanceOfType<InvalidDataException>(ex, $"cut at {cut}: {ex}");
            StringAssert.Contains(ex.Message, "model.zip entry 'e' is damaged");
        }
    }

    [TestMethod]
    public void Frame_EveryFlippedByte_GivesInvalidDataException()
    {
        byte[] frame = FrameBytes(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        for (int i = 0; i < frame.Length; i++)
        {
            byte[] damaged = (byte[])frame.Clone();
            damaged[i] ^= 0x10;
            var ex = Catch(() => PersistedModelFrame.ReadAndVerify(new MemoryStream(damaged), "e"));
            Assert.IsInstanceOfType<InvalidDataException>(ex, $"byte {i}: {ex}");
        }
    }

    [TestMethod]
    public void Frame_FromNewerFormat_SaysSo()
    {
        byte[] frame = FrameBytes([1, 2, 3]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), PersistedModelFrame.FormatVersion + 1);

        var ex = Catch(() => PersistedModelFrame.ReadAndVerify(new MemoryStream(frame), "e"));

        Assert.IsInstanceOfType<InvalidDataException>(ex);
        StringAssert.Contains(ex.Message, "newer DeepExtensions");
    }

    private static byte[] FrameBytes(byte[] payload)
    {
        var stream = new MemoryStream();
        PersistedModelFrame.Write(stream, "Sig", "MODEL", 1, "Some.Type, Some", w => w.Write(payload));
        return stream.ToArray();
    }

    /// <summary>Saves the test chain with one MLContext and scores it; returns the path and the outputs.</summary>
    private (string Path, string[] Expected) SaveTestModel()
    {
        var ml = new MLContext(seed: 1);
        var data = PersistenceTestData.Data(ml);
        var model = PersistenceTestData.BuildModel(ml, data);
        string path = Path.Combine(_directory, $"model-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        return (path, PersistenceTestData.Score(ml, model, data));
    }

    /// <summary>Replaces the bytes of the one zip entry holding a DeepExtensions frame; returns its name.</summary>
    private static string RewriteOurEntry(string zipPath, Func<byte[], byte[]> change)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var ours = zip.Entries.Where(e => e.Name == "Model.key").Select(e => (Entry: e, Bytes: ReadAll(e))).Where(e => HoldsFrame(e.Bytes)).ToList();
        Assert.AreEqual(1, ours.Count, "exactly one entry should hold a DeepExtensions frame");
        var (entry, bytes) = ours[0];
        string name = entry.FullName;
        entry.Delete();
        byte[] changed = change(bytes);
        using (var stream = zip.CreateEntry(name).Open())
            stream.Write(changed);
        return name.Replace('\\', '/');
    }

    private static bool HoldsFrame(byte[] entry)
    {
        if (entry.Length < 0x20)
            return false;
        long fpModel = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(0x10));
        long magicAt = fpModel + MlNetPersistenceBridge.FallbackPrefixBytes;
        return magicAt + 4 <= entry.Length && BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan((int)magicAt)) == PersistedModelFrame.Magic;
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static Exception Catch(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }
        throw new AssertFailedException("Expected an exception.");
    }

    private static string Messages(Exception ex)
    {
        var text = new StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
            text.Append(text.Length == 0 ? "" : " --> ").Append(e.GetType().Name).Append(": ").Append(e.Message);
        return text.ToString();
    }

    /// <summary>A transformer whose loader was never added.</summary>
    private sealed class UnregisteredTransformer : ITransformer
    {
        public bool IsRowToRowMapper => false;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, "NeverAdded", "NEVER", 1, _ => { });
    }
}
