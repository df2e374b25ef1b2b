using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.DeepExtensions.Persistence;

/// <summary>
/// The one place that reaches ML.NET's internal persistence API by reflection. ML.NET keeps it
/// internal (<c>ModelSaveContext</c>'s members, <c>ModelLoadContext</c>, <c>VersionInfo</c>,
/// <c>LoadableClassAttribute</c>, <c>ComponentCatalog.AddClass</c>), so a third-party transformer
/// cannot otherwise live inside the standard model.zip.
/// <para>
/// Verified against Microsoft.ML <see cref="VerifiedMlNetVersion"/>. Every member is resolved on
/// first use, all at once; if ML.NET renames or removes one, the first save or registration fails
/// with a <see cref="MissingMemberException"/> that names it, rather than misbehaving later.
/// </para>
/// <para>What this bridge writes into a model entry (<c>Model.key</c>):</para>
/// <list type="bullet">
/// <item>the header's version info: model signature <see cref="FallbackModelSignature"/>, versions
/// <see cref="FallbackVersion"/>, loader signature <see cref="DispatcherLoaderSignature"/> (our single
/// catalog entry, see <see cref="RegisterDispatcher"/>), alternate loader signature
/// <see cref="FallbackLoaderSignature"/> (ML.NET's CustomMapping loader) and loader assembly
/// Microsoft.ML.Transforms (so that ML.NET registers the alternate loader before it looks it up);</item>
/// <item>at the start of the model block, two string-table ids (8 bytes): the "contract name" and
/// "contract assembly" that ML.NET's CustomMapping loader reads. The contract name is a sentence
/// telling the user to call <c>mlContext.RegisterDeepExtensions()</c>; when that call is missing,
/// ML.NET falls back to the CustomMapping loader, which fails with
/// "Unable to locate an extension for the contract '&lt;that sentence&gt;'".</item>
/// </list>
/// Our own dispatcher (registered by <see cref="RegisterDispatcher"/>) is tried first and reads
/// the same bytes: it skips the 8-byte prefix (<see cref="SkipFallbackPrefix"/>) and then reads the
/// DeepExtensions frame (<see cref="PersistedModelFrame"/>).
/// </summary>
internal static class MlNetPersistenceBridge
{
    /// <summary>
    /// The Microsoft.ML version whose internals this class was checked against, and the one the
    /// packages depend on: 6.0.0. (5.0.1 was verified before; its model files load on 6.0.0, see the
    /// persistence tests, but the packages no longer run on it.)
    /// </summary>
    internal const string VerifiedMlNetVersion = "6.0.0";

    /// <summary>The header loader signature of every DeepExtensions entry: one catalog entry dispatches to all our loaders.</summary>
    internal const string DispatcherLoaderSignature = "DeepExtensionsModel";

    /// <summary>ML.NET's CustomMapping loader (<c>LambdaTransform.LoaderSignature</c>), used as the header's alternate loader.</summary>
    internal const string FallbackLoaderSignature = "CustomTransformer";

    /// <summary>The model signature the CustomMapping loader checks (<c>LambdaTransform.GetVersionInfo</c>).</summary>
    internal const string FallbackModelSignature = "CUSTOMXF";

    /// <summary>The CustomMapping loader's current version (0x00010002: contract name and contract assembly saved).</summary>
    internal const uint FallbackVersion = 0x00010002;

    /// <summary>Bytes at the start of the model block that belong to the CustomMapping fallback (two string ids).</summary>
    internal const int FallbackPrefixBytes = 2 * sizeof(int);

    private static readonly Lazy<Members> LazyMembers = new(Members.Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    // Catalogs that already hold the dispatcher. Weak keys: an MLContext and its catalog can be collected.
    private static readonly ConditionalWeakTable<ComponentCatalog, object> RegisteredCatalogs = new();

    /// <summary>
    /// Sets the ML.NET version info of <paramref name="ctx"/>'s entry, writes the CustomMapping fallback
    /// prefix (see the class remarks) and returns the entry's main writer, positioned where the
    /// DeepExtensions frame starts.
    /// </summary>
    internal static BinaryWriter BeginEntry(ModelSaveContext ctx, string fallbackMessage)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentException.ThrowIfNullOrEmpty(fallbackMessage);
        var m = LazyMembers.Value;

        object versionInfo = Construct(m.VersionInfoCtor,
        [
            FallbackModelSignature, FallbackVersion, FallbackVersion, FallbackVersion,
            typeof(CustomMappingFactoryAttributeAttribute).Assembly.FullName, DispatcherLoaderSignature, FallbackLoaderSignature,
        ]);
        Invoke(m.SetVersionInfo, ctx, versionInfo);

        var writer = (BinaryWriter?)m.SaveWriter.GetValue(ctx)
            ?? throw new InvalidOperationException("ModelSaveContext has no writer.");
        long before = writer.BaseStream.Position;
        Invoke(m.SaveString, ctx, fallbackMessage);                                                   // contract name
        Invoke(m.SaveString, ctx, typeof(CustomMappingFactoryAttributeAttribute).Assembly.FullName!); // contract assembly
        writer.Flush();
        if (writer.BaseStream.Position - before != FallbackPrefixBytes)
            throw new InvalidOperationException(
                $"ModelSaveContext.SaveString wrote {writer.BaseStream.Position - before} bytes, expected {FallbackPrefixBytes}. {VersionNote}");
        return writer;
    }

    /// <summary>Skips the 8-byte CustomMapping fallback prefix written by <see cref="BeginEntry"/>.</summary>
    internal static void SkipFallbackPrefix(BinaryReader reader)
    {
        reader.ReadInt32();
        reader.ReadInt32();
    }

    /// <summary>
    /// Adds the DeepExtensions dispatcher to <paramref name="env"/>'s component catalog (once per catalog;
    /// thread-safe). ML.NET then calls <paramref name="create"/> with <c>(env, ModelLoadContext)</c> for every
    /// entry whose header loader signature is <see cref="DispatcherLoaderSignature"/>.
    /// </summary>
    internal static void RegisterDispatcher(IHostEnvironment env, MethodInfo create)
    {
        ArgumentNullException.ThrowIfNull(env);
        var catalog = env.ComponentCatalog ?? throw new ArgumentException("The environment has no component catalog.", nameof(env));
        if (RegisteredCatalogs.TryGetValue(catalog, out _))
            return;

        var m = LazyMembers.Value;
        // The catalog's own lock, the one RegisterAssembly takes while it adds classes.
        object catalogLock = m.CatalogLock.GetValue(catalog) ?? throw new InvalidOperationException("ComponentCatalog has no lock.");
        lock (catalogLock)
        {
            if (RegisteredCatalogs.TryGetValue(catalog, out _))
                return;

            object? existing = Invoke(m.GetLoadableClassInfo, catalog, DispatcherLoaderSignature, m.SignatureLoadModel);
            if (existing is not null)
            {
                var loaderType = (Type?)m.InfoLoaderType.GetValue(existing);
                if (loaderType != create.DeclaringType)
                    throw new InvalidOperationException(
                        $"The ML.NET component catalog already maps loader '{DispatcherLoaderSignature}' to '{loaderType}'; DeepExtensions cannot register its own.");
            }
            else
            {
                object attribute = Construct(m.LoadableClassAttributeCtor,
                [
                    typeof(object), create.DeclaringType!, null, m.SignatureLoadModel, null, new[] { DispatcherLoaderSignature },
                ]);
                object info = Construct(m.LoadableClassInfoCtor, [attribute, null, null, create, true]);
                Invoke(m.AddClass, catalog, info, new[] { DispatcherLoaderSignature }, true);
            }
            RegisteredCatalogs.AddOrUpdate(catalog, true);
        }
    }

    /// <summary>The main reader of a <c>ModelLoadContext</c>, positioned at the start of the model block.</summary>
    internal static BinaryReader GetReader(object loadContext)
    {
        var m = LazyMembers.Value;
        CheckLoadContext(m, loadContext);
        return (BinaryReader?)m.LoadReader.GetValue(loadContext) ?? throw new InvalidOperationException("ModelLoadContext has no reader.");
    }

    /// <summary>The zip entry a <c>ModelLoadContext</c> reads, e.g. <c>TransformerChain/Transform_001/Model.key</c>.</summary>
    internal static string GetEntryName(object loadContext)
    {
        var m = LazyMembers.Value;
        CheckLoadContext(m, loadContext);
        var directory = (string?)m.LoadDirectory.GetValue(loadContext);
        return string.IsNullOrEmpty(directory) ? "Model.key" : directory.Replace('\\', '/') + "/Model.key";
    }

    /// <summary>Resolves every member now (used by tests to prove the bridge matches the ML.NET in use).</summary>
    internal static void EnsureResolved() => _ = LazyMembers.Value;

    private static void CheckLoadContext(Members m, object loadContext)
    {
        ArgumentNullException.ThrowIfNull(loadContext);
        if (!m.ModelLoadContext.IsInstanceOfType(loadContext))
            throw new ArgumentException($"Expected ML.NET's ModelLoadContext, got '{loadContext.GetType()}'.", nameof(loadContext));
    }

    // Reflection calls rethrow ML.NET's own exception, not a TargetInvocationException around it.
    private static object? Invoke(MethodInfo method, object target, params object?[] args) =>
        method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);

    private static object Construct(ConstructorInfo ctor, object?[] args) =>
        ctor.Invoke(BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);

    /// <summary>The Microsoft.ML package version in use, e.g. "6.0.0" (from Microsoft.ML.Core's informational version).</summary>
    internal static string MlNetVersionInUse
    {
        get
        {
            var core = typeof(ModelSaveContext).Assembly;
            string? version = core.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return version?.Split('+')[0] ?? core.GetName().Version?.ToString() ?? "unknown";
        }
    }

    private static string VersionNote =>
        $"DeepExtensions persistence was verified against Microsoft.ML {VerifiedMlNetVersion}; the Microsoft.ML in use is {MlNetVersionInUse}.";

    private static MissingMemberException Missing(string member) => new(
        $"DeepExtensions could not find ML.NET's internal member '{member}', which it needs to save and load models inside model.zip. {VersionNote} " +
        $"Use Microsoft.ML {VerifiedMlNetVersion} or a DeepExtensions release built for your ML.NET.");

    /// <summary>The resolved ML.NET members, all found or none.</summary>
    private sealed class Members
    {
        internal required MethodInfo SetVersionInfo { get; init; }
        internal required MethodInfo SaveString { get; init; }
        internal required FieldInfo SaveWriter { get; init; }
        internal required ConstructorInfo VersionInfoCtor { get; init; }
        internal required Type ModelLoadContext { get; init; }
        internal required FieldInfo LoadReader { get; init; }
        internal required FieldInfo LoadDirectory { get; init; }
        internal required Type SignatureLoadModel { get; init; }
        internal required ConstructorInfo LoadableClassAttributeCtor { get; init; }
        internal required ConstructorInfo LoadableClassInfoCtor { get; init; }
        internal required PropertyInfo InfoLoaderType { get; init; }
        internal required MethodInfo AddClass { get; init; }
        internal required MethodInfo GetLoadableClassInfo { get; init; }
        internal required FieldInfo CatalogLock { get; init; }

        internal static Members Resolve()
        {
            const BindingFlags Inst = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            var core = typeof(ModelSaveContext).Assembly; // Microsoft.ML.Core

            Type FindType(string name) => core.GetType(name, throwOnError: false) ?? throw Missing(name);
            MethodInfo FindMethod(Type type, string name, params Type[] parameters) =>
                type.GetMethod(name, Inst, binder: null, parameters, modifiers: null) ?? throw Missing($"{type.FullName}.{name}({string.Join(", ", parameters.Select(p => p.Name))})");
            FieldInfo FindField(Type type, string name, Type fieldType)
            {
                var field = type.GetField(name, Inst) ?? throw Missing($"{type.FullName}.{name}");
                return field.FieldType == fieldType ? field : throw Missing($"{type.FullName}.{name} of type {fieldType.Name}");
            }
            ConstructorInfo FindCtor(Type type, params Type[] parameters) =>
                type.GetConstructor(Inst, binder: null, parameters, modifiers: null) ?? throw Missing($"{type.FullName}({string.Join(", ", parameters.Select(p => p.Name))})");

            var versionInfo = FindType("Microsoft.ML.VersionInfo");
            var loadContext = FindType("Microsoft.ML.ModelLoadContext");
            var signatureLoadModel = FindType("Microsoft.ML.SignatureLoadModel");
            var attributeBase = FindType("Microsoft.ML.LoadableClassAttributeBase");
            var attribute = FindType("Microsoft.ML.LoadableClassAttribute");
            var info = typeof(ComponentCatalog).GetNestedType("LoadableClassInfo", BindingFlags.NonPublic | BindingFlags.Public)
                ?? throw Missing("Microsoft.ML.Runtime.ComponentCatalog+LoadableClassInfo");

            return new Members
            {
                SetVersionInfo = FindMethod(typeof(ModelSaveContext), "SetVersionInfo", versionInfo),
                SaveString = FindMethod(typeof(ModelSaveContext), "SaveString", typeof(string)),
                SaveWriter = FindField(typeof(ModelSaveContext), "Writer", typeof(BinaryWriter)),
                VersionInfoCtor = FindCtor(versionInfo, typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string)),
                ModelLoadContext = loadContext,
                LoadReader = FindField(loadContext, "Reader", typeof(BinaryReader)),
                LoadDirectory = FindField(loadContext, "Directory", typeof(string)),
                SignatureLoadModel = signatureLoadModel,
                LoadableClassAttributeCtor = FindCtor(attribute, typeof(Type), typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[])),
                LoadableClassInfoCtor = FindCtor(info, attributeBase, typeof(MethodInfo), typeof(ConstructorInfo), typeof(MethodInfo), typeof(bool)),
                InfoLoaderType = info.GetProperty("LoaderType", Inst) ?? throw Missing(info.FullName + ".LoaderType"),
                AddClass = FindMethod(typeof(ComponentCatalog), "AddClass", info, typeof(string[]), typeof(bool)),
                GetLoadableClassInfo = FindMethod(typeof(ComponentCatalog), "GetLoadableClassInfo", typeof(string), typeof(Type)),
                CatalogLock = FindField(typeof(ComponentCatalog), "_lock", typeof(object)),
            };
        }
    }
}
