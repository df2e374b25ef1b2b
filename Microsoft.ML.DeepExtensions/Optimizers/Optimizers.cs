using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>
/// Every optimizer by name. Inside namespaces named <c>Microsoft.ML.DeepExtensions…</c> the
/// namespace of the same name wins; write <c>Optimizers.Optimizers.Get</c> or use an alias.
/// </summary>
public static class Optimizers
{
    private static readonly BuildingBlockRegistry<Optimizer> Registry = new("optimizer",
        new Sgd(), new MomentumSgd(), new Adagrad(), new Adadelta(), new RmsProp(), new Adam(), new AdamW());

    /// <summary>Every optimizer name: sgd, momentum, adagrad, adadelta, rmsprop, adam, adamw.</summary>
    public static IReadOnlyList<string> Names => Registry.Names;

    /// <summary>
    /// The optimizer a spec describes: <c>name</c> or <c>name:key=value,…</c> with the constructor
    /// parameters in kebab-case, such as <c>adam</c>, <c>momentum:momentum=0.95,nesterov=true</c> or
    /// <c>adamw:learning-rate=0.01,weight-decay=0.05</c>.
    /// </summary>
    /// <param name="spec">The spec.</param>
    /// <param name="learningRate">
    /// The learning rate when the spec sets none; a spec that sets <c>learning-rate</c> too must agree.
    /// Defaults to null: the optimizer's own default.
    /// </param>
    /// <exception cref="ArgumentException">The name, a key or a value is not valid, or the learning rates conflict.</exception>
    public static Optimizer Get(string spec, double? learningRate = null) =>
        Registry.Get(spec, learningRate is double rate ? new Dictionary<string, object> { ["learningRate"] = rate } : null);
}
