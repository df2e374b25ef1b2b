using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Persistence;

/// <summary>
/// Makes <c>mlContext.Model.Load</c> able to read DeepExtensions components from a model.zip.
/// </summary>
/// <remarks>
/// ML.NET finds the code that loads each part of a model.zip in the <see cref="MLContext"/>'s component
/// catalog, and a third-party library cannot add itself there the way ML.NET's own assemblies do.
/// DeepExtensions' own catalog methods register automatically; in a process that only loads a model,
/// call <see cref="RegisterDeepExtensions"/> once per <see cref="MLContext"/> before loading:
/// <code>
/// using Microsoft.ML.DeepExtensions.Persistence;
///
/// var mlContext = new MLContext().RegisterDeepExtensions();
/// ITransformer model = mlContext.Model.Load("model.zip", out var inputSchema);
/// </code>
/// Without it, <c>Model.Load</c> fails with a message that names this call.
/// </remarks>
public static class DeepExtensionsRegistration
{
    private static readonly ConcurrentDictionary<string, LoaderEntry> Loaders = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers every DeepExtensions loader with this <see cref="MLContext"/>'s component catalog, so that
    /// <c>mlContext.Model.Load</c> can read models that contain DeepExtensions components. Call it once per
    /// <see cref="MLContext"/>, before <c>Model.Load</c>; calling it again does nothing. Thread-safe.
    /// </summary>
    /// <returns>The same <paramref name="mlContext"/>, for chaining.</returns>
    public static MLContext RegisterDeepExtensions(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        Register(mlContext);
        return mlContext;
    }

    /// <summary>Registers the DeepExtensions loaders with <paramref name="env"/>'s catalog. Idempotent, thread-safe.</summary>
    internal static void Register(IHostEnvironment env) => MlNetPersistenceBridge.RegisterDispatcher(env, ModelPersistence.CatalogCreateMethod);

    /// <summary>
    /// Adds the loader for entries saved with <see cref="ModelPersistence.Save"/> under <paramref name="loaderSignature"/>.
    /// Call it from the static constructor of <paramref name="instanceType"/> (an explicit <c>static</c> constructor,
    /// so that it runs before any instance exists) or from a <c>[ModuleInitializer]</c> of its assembly: a process
    /// that only loads a model finds the loader by running exactly these.
    /// Adding the same signature again for the same type does nothing.
    /// </summary>
    /// <param name="loaderSignature">Up to 24 printable ASCII characters, unique across DeepExtensions.</param>
    /// <param name="instanceType">The type <paramref name="load"/> returns (usually the transformer).</param>
    /// <param name="load">Reads the payload written by the transformer's save action; the reader covers exactly that payload, already checksum-verified.</param>
    internal static void AddLoader(string loaderSignature, Type instanceType, Func<IHostEnvironment, BinaryReader, object> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        AddLoader(loaderSignature, instanceType, (env, reader, _) => load(env, reader));
    }

    /// <summary>
    /// As <see cref="AddLoader(string, Type, Func{IHostEnvironment, BinaryReader, object})"/>, for loaders that need the
    /// saved model signature and version (to read older payload versions).
    /// </summary>
    internal static void AddLoader(string loaderSignature, Type instanceType, Func<IHostEnvironment, BinaryReader, PersistedModelInfo, object> load)
    {
        PersistedModelFrame.CheckLoaderSignature(loaderSignature);
        ArgumentNullException.ThrowIfNull(instanceType);
        ArgumentNullException.ThrowIfNull(load);
        if (instanceType.FullName is null || instanceType.ContainsGenericParameters)
            throw new ArgumentException($"Loader type '{instanceType}' must be a closed, named type.", nameof(instanceType));

        var entry = new LoaderEntry(loaderSignature, instanceType, load);
        var stored = Loaders.GetOrAdd(loaderSignature, entry);
        if (stored.InstanceType != instanceType)
        {
            throw new InvalidOperationException(
                $"DeepExtensions loader signature '{loaderSignature}' is already used by '{stored.InstanceType.FullName}'; '{instanceType.FullName}' needs another one.");
        }
    }

    /// <summary>The loader added under <paramref name="loaderSignature"/> in this process, if any (no discovery).</summary>
    internal static bool TryGetLoader(string loaderSignature, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LoaderEntry? entry) =>
        Loaders.TryGetValue(loaderSignature, out entry);

    /// <summary>
    /// The loader for a saved entry. If it was not added yet in this process (a fresh process that only loads
    /// models), runs the static constructor of the type recorded at save time and the module initializer of its
    /// assembly, which add it. Only types of DeepExtensions or of assemblies that reference it are touched.
    /// </summary>
    internal static LoaderEntry FindLoader(PersistedModelInfo info)
    {
        if (Loaders.TryGetValue(info.LoaderSignature, out var entry))
            return entry;

        string? problem = null;
        var type = ResolveLoaderType(info.LoaderTypeName, ref problem);
        if (type is not null)
        {
            try
            {
                RuntimeHelpers.RunClassConstructor(type.TypeHandle);
                RuntimeHelpers.RunModuleConstructor(type.Module.ModuleHandle);
            }
            catch (TypeInitializationException ex)
            {
                throw new InvalidOperationException(
                    $"Model entry '{info.EntryName}': the static constructor of '{type.FullName}', which adds DeepExtensions loader '{info.LoaderSignature}', failed: {ex.InnerException?.Message ?? ex.Message}", ex);
            }
            if (Loaders.TryGetValue(info.LoaderSignature, out entry))
                return entry;
            problem = $"'{type.FullName}' was found but adds no loader '{info.LoaderSignature}' when initialized";
        }

        throw new InvalidOperationException(
            $"Model entry '{info.EntryName}' needs the DeepExtensions loader '{info.LoaderSignature}' (type '{info.LoaderTypeName}', " +
            $"model signature '{info.ModelSignature}', version {info.Version}), which this process does not have: {problem}. " +
            "Reference the assembly that defines it (and the same or a newer version of it).");
    }

    private static Type? ResolveLoaderType(string typeName, ref string? problem)
    {
        Type? type;
        try
        {
            type = Type.GetType(typeName, throwOnError: false);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or ArgumentException or TypeLoadException)
        {
            problem = $"loading '{typeName}' failed: {ex.Message}";
            return null;
        }
        if (type is null)
        {
            problem = $"type '{typeName}' was not found";
            return null;
        }
        if (type.ContainsGenericParameters || !IsDeepExtensionsAssembly(type.Assembly))
        {
            problem = $"type '{typeName}' is not a DeepExtensions component";
            return null;
        }
        return type;
    }

    private static bool IsDeepExtensionsAssembly(Assembly assembly)
    {
        var ours = typeof(DeepExtensionsRegistration).Assembly;
        if (assembly == ours)
            return true;
        string? ourName = ours.GetName().Name;
        return assembly.GetReferencedAssemblies().Any(a => string.Equals(a.Name, ourName, StringComparison.Ordinal));
    }
}

/// <summary>A loader added with <see cref="DeepExtensionsRegistration.AddLoader(string, Type, Func{IHostEnvironment, BinaryReader, PersistedModelInfo, object})"/>.</summary>
internal sealed record LoaderEntry(string LoaderSignature, Type InstanceType, Func<IHostEnvironment, BinaryReader, PersistedModelInfo, object> Load)
{
    /// <summary>"Namespace.Type, Assembly": how a fresh process finds the code that adds this loader.</summary>
    internal string LoaderTypeName => $"{InstanceType.FullName}, {InstanceType.Assembly.GetName().Name}";
}
