using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>
/// How gradients update the weights: an optimizer configuration that creates the TorchSharp
/// optimizer for a network's parameters. Immutable; create one with its constructor or a spec
/// such as <c>adam:learning-rate=0.01</c>.
/// </summary>
public abstract class Optimizer : IBuildingBlock
{
    /// <param name="learningRate">The step size η. Must be positive.</param>
    /// <param name="weightDecay">The L2 penalty λ on the weights (decoupled for <see cref="AdamW"/>). Must be 0 or more.</param>
    protected Optimizer(double learningRate, double weightDecay)
    {
        LearningRate = HyperParameter.Positive(learningRate);
        WeightDecay = HyperParameter.NonNegative(weightDecay);
    }

    /// <summary>The registry name, in kebab-case, such as <c>adam</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The step size η (the base learning rate a schedule starts from).</summary>
    public double LearningRate { get; }

    /// <summary>The L2 penalty λ on the weights (decoupled for <see cref="AdamW"/>).</summary>
    public double WeightDecay { get; }

    /// <summary>A new TorchSharp optimizer over <paramref name="parameters"/>, configured as this one.</summary>
    public abstract optim.Optimizer Create(IEnumerable<Parameter> parameters);

    /// <summary>Sets the learning rate of every parameter group of <paramref name="optimizer"/>, as a schedule does between epochs.</summary>
    /// <param name="optimizer">The TorchSharp optimizer.</param>
    /// <param name="learningRate">The new learning rate. Must be 0 or more.</param>
    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        HyperParameter.NonNegative(learningRate);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = learningRate;
    }

    /// <summary>The canonical spec, which <see cref="Optimizers.Get"/> parses back to an equal optimizer.</summary>
    public override string ToString() => BuildingBlockSpec.Format(this);
}
