using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Losses;

/// <summary>
/// What training minimises: the mean over rows of a per-row loss between the network output and
/// the target. Immutable; create one with its constructor or a spec such as <c>huber:delta=2</c>.
/// </summary>
/// <remarks>
/// Tensors by task: <see cref="PredictionTask.BinaryClassification"/> output float32 [N] raw
/// scores (logits), target float32 [N] of 0/1; <see cref="PredictionTask.Regression"/> output and
/// target float32 [N]; <see cref="PredictionTask.MulticlassClassification"/> output float32 [N, K]
/// raw scores, target int64 [N] class indices.
/// </remarks>
public abstract class Loss : IBuildingBlock
{
    /// <summary>The registry name, in kebab-case, such as <c>softmax-cross-entropy</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether this loss fits <paramref name="task"/>.</summary>
    public abstract bool Supports(PredictionTask task);

    /// <summary>Throws when this loss does not fit <paramref name="task"/>, naming the losses that do.</summary>
    /// <exception cref="ArgumentException">The loss does not fit the task.</exception>
    public void EnsureSupports(PredictionTask task)
    {
        if (!Supports(task))
            throw Unsupported(task);
    }

    /// <summary>The scalar mean loss of a batch, differentiable with respect to <paramref name="output"/>.</summary>
    /// <param name="output">The network output: raw scores, shaped as the class remarks describe.</param>
    /// <param name="target">The targets, shaped as the class remarks describe.</param>
    /// <param name="task">The prediction task, which decides the shapes.</param>
    /// <exception cref="ArgumentException">The loss does not fit the task.</exception>
    public abstract Tensor Compute(Tensor output, Tensor target, PredictionTask task);

    /// <summary>The canonical spec, which <see cref="Losses.Get"/> parses back to an equal loss.</summary>
    public override string ToString() => BuildingBlockSpec.Format(this);

    /// <summary>
    /// The error for a task this loss does not fit, such as "Loss 'hinge' does not fit regression:
    /// it needs class labels. Losses for regression: l1, l2, huber."
    /// </summary>
    protected ArgumentException Unsupported(PredictionTask task)
    {
        var fits = Enum.GetValues<PredictionTask>().Where(Supports).ToArray();
        var reason = task == PredictionTask.Regression ? "it needs class labels"
            : fits is [PredictionTask.Regression] ? "it needs numeric targets, not class labels"
            : $"it fits {string.Join(" and ", fits.Select(Describe))} only";
        return new ArgumentException(
            $"Loss '{Name}' does not fit {Describe(task)}: {reason}. Losses for {Describe(task)}: {string.Join(", ", Losses.NamesFor(task))}.",
            nameof(task));
    }

    private static string Describe(PredictionTask task) => task switch
    {
        PredictionTask.BinaryClassification => "binary classification",
        PredictionTask.MulticlassClassification => "multiclass classification",
        PredictionTask.Regression => "regression",
        _ => task.ToString(),
    };
}
