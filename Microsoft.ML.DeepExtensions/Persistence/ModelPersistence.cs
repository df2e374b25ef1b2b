using System.Reflection;
using System.Text;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Persistence;

/// <summary>
/// Saves a DeepExtensions component into the standard model.zip from its <see cref="ICanSaveModel.Save"/>, and
/// loads it back inside <c>mlContext.Model.Load</c> (after <see cref="DeepExtensionsRegistration.RegisterDeepExtensions"/>).
/// </summary>
/// <example>
/// <code>
/// public sealed class MyTransformer : ITransformer
/// {
///     private const string LoaderSignature = "MyTransformer";
///     static MyTransformer() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(MyTransformer),
///         (env, reader) => new MyTransformer(env, reader));
///
///     void ICanSaveModel.Save(ModelSaveContext ctx) =>
///         ModelPersistence.Save(ctx, LoaderSignature, modelSignature: "MYXFORM", version: 1, writer => { /* weights */ });
/// }
/// </code>
/// </example>
internal static class ModelPersistence
{
    /// <summary>The create method ML.NET's catalog calls with <c>(env, ModelLoadContext)</c>.</summary>
    internal static MethodInfo CatalogCreateMethod { get; } =
        typeof(ModelPersistence).GetMethod(nameof(CreateFromCatalog), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Writes a DeepExtensions component into its model.zip entry: ML.NET's version info, then a frame with the
    /// loader, the payload's format and version, its length and a SHA-256, then the payload itself.
    /// </summary>
    /// <param name="ctx">The context ML.NET passes to <see cref="ICanSaveModel.Save"/>.</param>
    /// <param name="loaderSignature">The loader added with <see cref="DeepExtensionsRegistration.AddLoader(string, Type, Func{IHostEnvironment, BinaryReader, object})"/>; up to 24 printable ASCII characters.</param>
    /// <param name="modelSignature">The payload format's name, up to 8 printable ASCII characters.</param>
    /// <param name="version">The payload format's version, handed back to the loader.</param>
    /// <param name="writePayload">Writes the payload; any size (it is streamed, not buffered).</param>
    internal static void Save(ModelSaveContext ctx, string loaderSignature, string modelSignature, uint version, Action<BinaryWriter> writePayload)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        PersistedModelFrame.CheckLoaderSignature(loaderSignature);
        PersistedModelFrame.CheckModelSignature(modelSignature);
        ArgumentNullException.ThrowIfNull(writePayload);
        if (!DeepExtensionsRegistration.TryGetLoader(loaderSignature, out var loader))
        {
            throw new InvalidOperationException(
                $"Cannot save a component with loader '{loaderSignature}': no loader was added under that name, so the model could not be loaded back. " +
                "Call DeepExtensionsRegistration.AddLoader from the component's static constructor.");
        }

        var writer = MlNetPersistenceBridge.BeginEntry(ctx, UnregisteredMessage(loader));
        PersistedModelFrame.Write(writer.BaseStream, loaderSignature, modelSignature, version, loader.LoaderTypeName, writePayload);
    }

    /// <summary>
    /// The sentence stored as the CustomMapping "contract name" of every entry. ML.NET shows it, inside
    /// "Unable to locate an extension for the contract '...'", when the MLContext was not registered.
    /// </summary>
    internal static string UnregisteredMessage(LoaderEntry loader) =>
        $"This model holds a DeepExtensions component ('{loader.LoaderSignature}', {loader.InstanceType.FullName} from assembly " +
        $"{loader.InstanceType.Assembly.GetName().Name}) and this MLContext cannot load it yet: call mlContext.RegisterDeepExtensions() " +
        "(using Microsoft.ML.DeepExtensions.Persistence;) before mlContext.Model.Load. Ignore ML.NET's CustomMapping advice that follows";

    /// <summary>Called by ML.NET's component catalog for every entry whose loader is the DeepExtensions dispatcher.</summary>
    private static object CreateFromCatalog(IHostEnvironment env, object loadContext)
    {
        ArgumentNullException.ThrowIfNull(env);
        var reader = MlNetPersistenceBridge.GetReader(loadContext);
        return Load(env, reader, MlNetPersistenceBridge.GetEntryName(loadContext));
    }

    /// <summary>
    /// Reads one entry's model block from <paramref name="reader"/> (positioned at its start): verifies the frame,
    /// runs the loader over the verified payload, and leaves the reader at the end of the payload.
    /// </summary>
    internal static object Load(IHostEnvironment env, BinaryReader reader, string entryName)
    {
        var stream = reader.BaseStream;
        try
        {
            MlNetPersistenceBridge.SkipFallbackPrefix(reader);
        }
        catch (EndOfStreamException)
        {
            throw PersistedModelFrame.Damaged(entryName, "it is truncated before the DeepExtensions frame");
        }

        var (info, payloadStart, payloadLength) = PersistedModelFrame.ReadAndVerify(stream, entryName);
        var loader = DeepExtensionsRegistration.FindLoader(info);

        object? result;
        using (var payload = new BinaryReader(new BoundedReadStream(stream, payloadStart, payloadLength), Encoding.UTF8, leaveOpen: false))
        {
            try
            {
                result = loader.Load(env, payload, info);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"DeepExtensions loader '{info.LoaderSignature}' could not read model entry '{entryName}' " +
                    $"(model signature '{info.ModelSignature}', version {info.Version}, {payloadLength:N0} verified payload bytes): {ex.Message}", ex);
            }
        }

        if (result is null || !loader.InstanceType.IsInstanceOfType(result))
        {
            throw new InvalidOperationException(
                $"DeepExtensions loader '{info.LoaderSignature}' returned {(result is null ? "null" : $"a '{result.GetType().FullName}'")} " +
                $"for model entry '{entryName}', expected a '{loader.InstanceType.FullName}'.");
        }

        stream.Position = payloadStart + payloadLength;
        return result;
    }
}
