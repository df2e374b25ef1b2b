using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[connected]</c>: a fully connected layer (<c>fc</c>) over the flattened input (C, H, W order, as Darknet lays
/// its arrays out), with <c>batch_normalize=1</c> a <see cref="DarknetBatchNorm"/> (<c>bn</c>), and the activation
/// (Darknet's default: logistic). The output is <c>[N, output, 1, 1]</c>.
/// </summary>
public sealed class DarknetConnectedLayer : DarknetLayer
{
    private readonly Func<Tensor, Tensor> _activation;

    internal DarknetConnectedLayer(int index, DarknetSection section, DarknetShape input, double momentum, Device? device)
        : base("DarknetConnected", index, section, new DarknetShape(ReadOutputs(section), 1, 1))
    {
        Inputs = input.Size;
        BatchNormalize = section.GetInt("batch_normalize", 0) != 0;
        (ActivationName, _activation) = DarknetActivation.Read(section, "logistic");
        Linear = nn.Linear(Inputs, OutputShape.Channels, hasBias: !BatchNormalize, device: device);
        register_module("fc", Linear);
        if (BatchNormalize)
        {
            BatchNorm = new DarknetBatchNorm(OutputShape.Channels, momentum, device);
            register_module("bn", BatchNorm);
        }
    }

    /// <summary>Inputs of the layer: C·H·W of the previous output.</summary>
    public long Inputs { get; }

    /// <summary>Whether the layer is batch-normalized (<c>batch_normalize=1</c>).</summary>
    public bool BatchNormalize { get; }

    /// <summary>The activation's Darknet name.</summary>
    public string ActivationName { get; }

    /// <summary>The linear map, <c>weight</c> [output, inputs]: Darknet's weight order.</summary>
    public Linear Linear { get; }

    /// <summary>The batch normalization, or <see langword="null"/>.</summary>
    public DarknetBatchNorm? BatchNorm { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        using var scope = torch.NewDisposeScope();
        var x = Linear.forward(input.flatten(1));
        if (BatchNorm is not null)
            x = BatchNorm.forward(x);
        return _activation(x).view(OutputShape.WithBatch(-1)).MoveToOuterDisposeScope();
    }

    private static int ReadOutputs(DarknetSection section)
    {
        int output = section.GetInt("output", 1);
        if (output < 1)
            throw section.Error("output", $"'output' must be at least 1, got {output}.");
        return output;
    }
}
