using Microsoft.ML.DeepExtensions.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Networks;

/// <summary>
/// A multi-layer perceptron: for each hidden layer a fully connected layer, optional batch
/// normalization, the activation and optional dropout; then a fully connected output layer.
/// </summary>
public sealed class MlpNetwork : NetworkDefinition
{
    internal const string KindName = "mlp";

    /// <param name="inputSize">Features per row.</param>
    /// <param name="hiddenLayers">Units of each hidden layer; may be empty (a linear model).</param>
    /// <param name="activation">Activation after each hidden layer.</param>
    /// <param name="dropout">Dropout probability after each hidden layer, in [0, 1).</param>
    /// <param name="batchNormalization">Batch normalization before each activation.</param>
    /// <param name="outputSize">Output values per row.</param>
    public MlpNetwork(int inputSize, IReadOnlyList<int> hiddenLayers, Activation activation, double dropout, bool batchNormalization, int outputSize)
    {
        if (inputSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"The network needs at least one input feature, got {inputSize}.");
        if (hiddenLayers.Any(units => units <= 0))
            throw new ArgumentOutOfRangeException(nameof(hiddenLayers), $"HiddenLayers must all be positive, got [{string.Join(", ", hiddenLayers)}].");
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"Dropout must be in [0, 1), got {dropout}.");
        if (outputSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"The output size must be positive, got {outputSize}.");
        InputSize = inputSize;
        HiddenLayers = hiddenLayers.ToArray();
        Activation = activation ?? throw new ArgumentNullException(nameof(activation));
        Dropout = dropout;
        BatchNormalization = batchNormalization;
        OutputSize = outputSize;
    }

    public int InputSize { get; }

    public IReadOnlyList<int> HiddenLayers { get; }

    public Activation Activation { get; }

    public double Dropout { get; }

    public bool BatchNormalization { get; }

    /// <inheritdoc/>
    public override string Kind => KindName;

    /// <inheritdoc/>
    public override long[] InputShape => new long[] { InputSize };

    /// <inheritdoc/>
    public override int OutputSize { get; }

    /// <inheritdoc/>
    protected override nn.Module<Tensor, Tensor> BuildLayers()
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long inputs = InputSize;
        for (int i = 0; i < HiddenLayers.Count; i++)
        {
            layers.Add(($"dense{i}", nn.Linear(inputs, HiddenLayers[i])));
            if (BatchNormalization)
                layers.Add(($"norm{i}", nn.BatchNorm1d(HiddenLayers[i])));
            layers.Add(($"act{i}", Activation.CreateModule()));
            if (Dropout > 0)
                layers.Add(($"drop{i}", nn.Dropout(Dropout)));
            inputs = HiddenLayers[i];
        }
        layers.Add(("output", nn.Linear(inputs, OutputSize)));
        return nn.Sequential(layers);
    }

    /// <inheritdoc/>
    protected override void WriteFields(BinaryWriter writer)
    {
        writer.Write(InputSize);
        writer.Write(HiddenLayers.Count);
        foreach (var units in HiddenLayers)
            writer.Write(units);
        writer.Write(Activation.ToString());
        writer.Write(Dropout);
        writer.Write(BatchNormalization);
        writer.Write(OutputSize);
    }

    internal static MlpNetwork Read(BinaryReader reader)
    {
        int inputSize = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (count is < 0 or > 1024)
            throw new InvalidDataException($"Corrupt MLP definition: {count} hidden layers.");
        var hidden = new int[count];
        for (int i = 0; i < count; i++)
            hidden[i] = reader.ReadInt32();
        var activation = Activations.Activations.Get(reader.ReadString());
        double dropout = reader.ReadDouble();
        bool batchNorm = reader.ReadBoolean();
        int outputSize = reader.ReadInt32();
        return new MlpNetwork(inputSize, hidden, activation, dropout, batchNorm, outputSize);
    }

    public override string ToString() =>
        $"MLP {InputSize} → [{string.Join(", ", HiddenLayers)}] → {OutputSize}, {Activation}{(BatchNormalization ? ", batch norm" : "")}{(Dropout > 0 ? $", dropout {Dropout}" : "")}";
}
