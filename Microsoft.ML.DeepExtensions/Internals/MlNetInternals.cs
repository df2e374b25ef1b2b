using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// The few ML.NET members a third-party component needs but ML.NET keeps internal: the host
/// environment behind a catalog, and the MLContext switches (seed, GPU id, CPU fallback).
/// Verified against Microsoft.ML <see cref="VerifiedMlNetVersion"/> (the persistence bridge's); every lookup fails with a message naming the member, so a
/// future ML.NET that moves one is diagnosed at once rather than misbehaving.
/// </summary>
internal static class MlNetInternals
{
    internal const string VerifiedMlNetVersion = Persistence.MlNetPersistenceBridge.VerifiedMlNetVersion;

    private static readonly Type? InternalCatalog =
        typeof(TrainCatalogBase).Assembly.GetType("Microsoft.ML.Data.IInternalCatalog");

    private static readonly PropertyInfo? CatalogEnvironment = InternalCatalog?.GetProperty("Environment");

    private static readonly Type? EnvironmentInternal =
        typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal");

    /// <summary>The environment (MLContext) behind a catalog such as <c>ml.BinaryClassification.Trainers</c> or <c>ml.Transforms</c>.</summary>
    public static IHostEnvironment GetEnvironment(object trainerCatalog)
    {
        ArgumentNullException.ThrowIfNull(trainerCatalog);
        if (CatalogEnvironment is null)
            throw Missing("IInternalCatalog.Environment");
        if (!InternalCatalog!.IsInstanceOfType(trainerCatalog))
            throw new ArgumentException($"'{trainerCatalog.GetType().Name}' is not an ML.NET catalog.", nameof(trainerCatalog));
        return (IHostEnvironment)(CatalogEnvironment.GetValue(trainerCatalog)
            ?? throw new InvalidOperationException("The catalog has no environment."));
    }

    /// <summary>The seed given to <c>new MLContext(seed)</c>, or null.</summary>
    public static int? GetSeed(IHostEnvironment env) => (int?)ReadSwitch(env, "Seed");

    /// <summary><c>MLContext.GpuDeviceId</c>, or null.</summary>
    public static int? GetGpuDeviceId(IHostEnvironment env) => (int?)ReadSwitch(env, "GpuDeviceId");

    /// <summary><c>MLContext.FallbackToCpu</c>.</summary>
    public static bool GetFallbackToCpu(IHostEnvironment env) => (bool?)ReadSwitch(env, "FallbackToCpu") ?? false;

    private static object? ReadSwitch(IHostEnvironment env, string name)
    {
        if (env is MLContext context)
        {
            return name switch
            {
                "GpuDeviceId" => context.GpuDeviceId,
                "FallbackToCpu" => context.FallbackToCpu,
                _ => ReadFromInterface(env, name),
            };
        }
        return ReadFromInterface(env, name);
    }

    private static object? ReadFromInterface(IHostEnvironment env, string name)
    {
        if (EnvironmentInternal is null || !EnvironmentInternal.IsInstanceOfType(env))
            return null;
        var property = EnvironmentInternal.GetProperty(name) ?? throw Missing("IHostEnvironmentInternal." + name);
        return property.GetValue(env);
    }

    private static readonly MethodInfo? SchemaShapeCreate =
        typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic, new[] { typeof(DataViewSchema) });

    /// <summary>
    /// The <see cref="SchemaShape"/> of a schema. An estimator's <c>GetOutputSchema</c> needs
    /// <see cref="SchemaShape.Column"/>s for the columns it adds, but their constructor is internal;
    /// describing the added columns as a real <see cref="DataViewSchema"/> and converting it keeps
    /// types and annotations exactly as ML.NET derives them.
    /// </summary>
    public static SchemaShape ToSchemaShape(DataViewSchema schema) =>
        (SchemaShape)(SchemaShapeCreate ?? throw Missing("SchemaShape.Create(DataViewSchema)")).Invoke(null, new object[] { schema })!;

    internal static Exception Missing(string member) => new MissingMemberException(
        $"DeepExtensions could not find ML.NET's internal member '{member}'. It was verified against Microsoft.ML {VerifiedMlNetVersion}; " +
        "use that version of ML.NET or a DeepExtensions release built for yours.");
}
