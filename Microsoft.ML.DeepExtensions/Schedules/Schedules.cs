using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Schedules;

/// <summary>
/// Every learning-rate schedule by name. Inside namespaces named <c>Microsoft.ML.DeepExtensions…</c>
/// the namespace of the same name wins; write <c>Schedules.Schedules.Get</c> or use an alias.
/// </summary>
public static class Schedules
{
    private static readonly BuildingBlockRegistry<LearningRateSchedule> Registry = new("learning-rate schedule",
        new ConstantSchedule(), new StepSchedule(), new CosineSchedule(), new ReduceOnPlateauSchedule());

    /// <summary>Every schedule name: constant, step, cosine, reduce-on-plateau.</summary>
    public static IReadOnlyList<string> Names => Registry.Names;

    /// <summary>
    /// The schedule a spec describes: <c>name</c> or <c>name:key=value,…</c> with the constructor
    /// parameters in kebab-case, such as <c>step:step-size=5,gamma=0.5</c> or <c>reduce-on-plateau:patience=3</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name, a key or a value is not valid; the message lists the valid ones.</exception>
    public static LearningRateSchedule Get(string spec) => Registry.Get(spec);
}
