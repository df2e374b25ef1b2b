using Microsoft.ML.DeepExtensions.Internals;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>
/// An element-wise nonlinearity between layers. Immutable; create one with its constructor, a
/// factory of <see cref="Activations"/> or a spec such as <c>leaky-relu:slope=0.2</c>.
/// </summary>
public abstract class Activation : IBuildingBlock
{
    /// <summary>The registry name, in kebab-case, such as <c>leaky-relu</c>.</summary>
    public abstract string Name { get; }

    /// <summary>A new TorchSharp module that applies the activation, for use inside a network.</summary>
    public abstract nn.Module<Tensor, Tensor> CreateModule();

    /// <summary>Applies the activation to every element of <paramref name="input"/>; any shape.</summary>
    public abstract Tensor Apply(Tensor input);

    /// <summary>The canonical spec, which <see cref="Activations.Get"/> parses back to an equal activation.</summary>
    public override string ToString() => BuildingBlockSpec.Format(this);
}
