using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>
/// Every loss by name (<see cref="Get"/>), the losses that fit a task and each task's default.
/// Inside namespaces named <c>Microsoft.ML.DeepExtensions…</c> the namespace of the same name wins;
/// write <c>Losses.Losses.Get</c> or use an alias.
/// </summary>
public static class Losses
{
    private static readonly BuildingBlockRegistry<Loss> Registry = new("loss",
        new L1Loss(), new L2Loss(), new HuberLoss(), new HingeLoss(), new CrossEntropyLoss(), new SigmoidCrossEntropyLoss(), new SoftmaxCrossEntropyLoss());

    /// <summary>Every loss name: l1, l2, huber, hinge, cross-entropy, sigmoid-cross-entropy, softmax-cross-entropy.</summary>
    public static IReadOnlyList<string> Names => Registry.Names;

    /// <summary>
    /// The loss a spec describes: <c>name</c> or <c>name:key=value,…</c> with the constructor
    /// parameters in kebab-case, such as <c>l2</c>, <c>huber:delta=2</c> or <c>softmax-cross-entropy:label-smoothing=0.1</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name, a key or a value is not valid; the message lists the valid ones.</exception>
    public static Loss Get(string spec) => Registry.Get(spec);

    /// <summary>The names of the losses that fit <paramref name="task"/>.</summary>
    public static IReadOnlyList<string> NamesFor(PredictionTask task) =>
        Registry.Defaults.Where(loss => loss.Supports(task)).Select(loss => loss.Name).ToArray();

    /// <summary>
    /// The usual loss for <paramref name="task"/>: <see cref="SigmoidCrossEntropyLoss"/> (binary),
    /// <see cref="SoftmaxCrossEntropyLoss"/> (multiclass) or <see cref="L2Loss"/> (regression).
    /// </summary>
    public static Loss DefaultFor(PredictionTask task) => task switch
    {
        PredictionTask.BinaryClassification => new SigmoidCrossEntropyLoss(),
        PredictionTask.MulticlassClassification => new SoftmaxCrossEntropyLoss(),
        PredictionTask.Regression => new L2Loss(),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, $"Unknown prediction task {task}."),
    };
}
