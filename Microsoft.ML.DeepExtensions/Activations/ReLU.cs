using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Activations;

/// <summary>The rectified linear unit: passes positive inputs and zeroes the others.</summary>
/// <remarks>
/// Formula: <c>f(x) = max(0, x)</c>; <c>f'(x) = 1</c> for <c>x &gt; 0</c>, else 0 (also at 0, as PyTorch).
/// Paper: Nair and Hinton, "Rectified Linear Units Improve Restricted Boltzmann Machines", ICML 2010.
/// </remarks>
public sealed class ReLU : Activation
{
    /// <inheritdoc/>
    public override string Name => "relu";

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> CreateModule() => nn.ReLU();

    /// <inheritdoc/>
    public override Tensor Apply(Tensor input) => input.relu();
}
