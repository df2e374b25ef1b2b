using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>
/// Every activation by name (<see cref="Get"/>) and by factory (<c>Activations.ReLU</c>,
/// <c>Activations.LeakyReLU(0.2)</c>). Inside namespaces named <c>Microsoft.ML.DeepExtensions…</c>
/// the namespace of the same name wins; write <c>Activations.Activations.Get</c> or use an alias.
/// </summary>
public static class Activations
{
    private static readonly BuildingBlockRegistry<Activation> Registry =
        new("activation", new Sigmoid(), new Tanh(), new ReLU(), new LeakyReLU(), new Elu(), new Softplus());

    /// <summary>Every activation name: sigmoid, tanh, relu, leaky-relu, elu, softplus.</summary>
    public static IReadOnlyList<string> Names => Registry.Names;

    /// <summary>
    /// The activation a spec describes: <c>name</c> or <c>name:key=value,…</c> with the constructor
    /// parameters in kebab-case, such as <c>relu</c>, <c>leaky-relu:slope=0.2</c> or <c>softplus:beta=2,threshold=10</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name, a key or a value is not valid; the message lists the valid ones.</exception>
    public static Activation Get(string spec) => Registry.Get(spec);

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.Sigmoid"/>
    public static Sigmoid Sigmoid { get; } = new();

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.Tanh"/>
    public static Tanh Tanh { get; } = new();

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.ReLU"/>
    public static ReLU ReLU { get; } = new();

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.LeakyReLU" path="/summary"/>
    /// <inheritdoc cref="M:Microsoft.ML.DeepExtensions.Activations.LeakyReLU.#ctor(System.Double)" path="/param"/>
    public static LeakyReLU LeakyReLU(double slope = 0.01) => new(slope);

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.Elu" path="/summary"/>
    /// <inheritdoc cref="M:Microsoft.ML.DeepExtensions.Activations.Elu.#ctor(System.Double)" path="/param"/>
    public static Elu Elu(double alpha = 1.0) => new(alpha);

    /// <inheritdoc cref="T:Microsoft.ML.DeepExtensions.Activations.Softplus" path="/summary"/>
    /// <inheritdoc cref="M:Microsoft.ML.DeepExtensions.Activations.Softplus.#ctor(System.Double,System.Double)" path="/param"/>
    public static Softplus Softplus(double beta = 1, double threshold = 20) => new(beta, threshold);
}
