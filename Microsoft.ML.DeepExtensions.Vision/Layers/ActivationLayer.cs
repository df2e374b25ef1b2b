using Microsoft.ML.DeepExtensions.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// Applies one of the core's activations (<c>relu</c>, <c>tanh</c>, <c>leaky-relu</c>, ...) to every
/// value (cheat sheet: the "activation function layer"); the shape is unchanged. No weights.
/// </summary>
/// <remarks>The formula is the activation's own; see <see cref="Activations.Activations"/>.</remarks>
public sealed class ActivationLayer : Layer
{
    /// <param name="activation">The activation, e.g. <c>Activations.ReLU</c> or <c>Activations.Get("leaky-relu:slope=0.2")</c>.</param>
    public ActivationLayer(Activation activation) => Activation = activation ?? throw new ArgumentNullException(nameof(activation));

    public Activation Activation { get; }

    /// <inheritdoc/>
    public override string Description => Activation.ToString();

    private protected override string TypeName => Activation.GetType().Name;

    private protected override long[] LeafOutputShape(long[] input) => input;

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) => Activation.CreateModule();
}
