using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// LeNet-5, the 7-layer network for handwritten characters (cheat sheet: 32×32 grayscale image, tanh,
/// "Convolution(5×5) → Average Pooling(2×2) → Conv(5×5) → Average P(2×2) → Conv(5×5) → FC → FC").
/// </summary>
/// <remarks>
/// <para>
/// Layers (paper names in brackets): <c>conv1</c> 6 filters 5×5 [C1] → <c>pool1</c> average 2×2 [S2] →
/// <c>conv2</c> 16 filters 5×5 [C3] → <c>pool2</c> average 2×2 [S4] → <c>conv3</c> 120 filters 5×5 [C5]
/// → <c>fc1</c> 84 units [F6] → <c>fc2</c> one score per class, tanh after every layer but the last.
/// On 1×32×32 with 10 classes: 61,706 weights.
/// </para>
/// <para>
/// The modern reading of the paper: S2 and S4 are plain average pooling (the paper's trainable
/// coefficient and bias per map are left out), C3 connects every input map (the paper's sparse
/// connection table is left out), and the output is a fully connected layer giving logits (the paper
/// used Euclidean RBF units).
/// </para>
/// <para>
/// Inputs smaller than 32×32 are zero-padded to 32×32 first (<c>pad</c>), as LeCun did for MNIST's
/// 28×28 digits ("the 28×28 field was centered in a 32×32 field"), so that strokes reach the centre of
/// the top feature detectors. Larger inputs are used as they are, and <c>fc1</c> takes all of C5's
/// outputs.
/// </para>
/// Paper: LeCun, Bottou, Bengio and Haffner, "Gradient-Based Learning Applied to Document Recognition", Proc. IEEE 1998.
/// </remarks>
public sealed class LeNet5 : LayeredArchitecture
{
    /// <summary>The input size the network was designed for; smaller inputs are zero-padded to it.</summary>
    public const int DesignedSize = 32;

    /// <inheritdoc/>
    public override string Name => "lenet";

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes)
    {
        var tanh = Activations.Activations.Tanh;
        var layers = new LayerStack();
        long height = inputShape[1], width = inputShape[2];
        if (height < DesignedSize || width < DesignedSize)
        {
            int padRows = (int)Math.Max(0, DesignedSize - height), padColumns = (int)Math.Max(0, DesignedSize - width);
            layers.Add("pad", new ZeroPadding(padRows / 2, padRows - padRows / 2, padColumns / 2, padColumns - padColumns / 2));
        }
        layers.Add("conv1", new Convolution(6, 5));
        layers.Add("tanh1", new ActivationLayer(tanh));
        layers.Add("pool1", new AveragePooling(2));
        layers.Add("conv2", new Convolution(16, 5));
        layers.Add("tanh2", new ActivationLayer(tanh));
        layers.Add("pool2", new AveragePooling(2));
        layers.Add("conv3", new Convolution(120, 5));
        layers.Add("tanh3", new ActivationLayer(tanh));
        layers.Add("flatten", new Flatten());
        layers.Add("fc1", new FullyConnected(84));
        layers.Add("tanh4", new ActivationLayer(tanh));
        layers.Add("fc2", new FullyConnected(classes));
        return layers;
    }
}
