using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// Runs a trained network forward on batches of rows in evaluation mode, without gradients,
/// inside one dispose scope per batch, so memory stays flat over any number of rows.
/// </summary>
internal sealed class NetworkScorer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly long[] _batchShape;

    public NetworkScorer(NetworkDefinition definition, nn.Module<Tensor, Tensor> network, Device device, PredictionTask task)
    {
        Definition = definition;
        _network = network;
        Device = device;
        Task = task;
        InputSize = (int)definition.InputShape.Aggregate(1L, (a, b) => a * b);
        _batchShape = new long[] { 0 }.Concat(definition.InputShape).ToArray();
        _network.eval();
    }

    public NetworkDefinition Definition { get; }

    public Device Device { get; }

    public PredictionTask Task { get; }

    /// <summary>Floats per input row.</summary>
    public int InputSize { get; }

    /// <summary>Floats per output row: class probabilities for multiclass, a raw score otherwise.</summary>
    public int OutputSize => Definition.OutputSize;

    public nn.Module<Tensor, Tensor> Network => _network;

    /// <summary>
    /// The feature column of <paramref name="schema"/> this network reads, checked to hold
    /// <see cref="InputSize"/> values per row (ML.NET's "Schema mismatch" wording otherwise).
    /// </summary>
    public TensorColumn BindFeatures(DataViewSchema schema, string featureColumn)
    {
        // Columns that are not numbers (images) are read in the network's own input shape, e.g. as
        // grayscale when it takes one channel; numeric vectors keep theirs and must match in size.
        var type = schema.GetColumnOrNull(featureColumn)?.Type;
        var shape = type is not null && TensorColumn.IsAdaptedType(type) ? Definition.InputShape : null;
        var column = TensorColumn.Bind(schema, featureColumn, "Feature", shape);
        if (column.Size != InputSize)
            throw new ArgumentOutOfRangeException(featureColumn, $"Schema mismatch for feature column '{featureColumn}': expected a vector of {InputSize} values, got {schema[featureColumn].Type}.");
        return column;
    }

    /// <summary>Scores <paramref name="rows"/> rows laid out one after another in <paramref name="features"/>.</summary>
    public void Score(float[] features, int rows, float[] scores)
    {
        if (rows == 0)
            return;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var shape = (long[])_batchShape.Clone();
        shape[0] = rows;
        // from_array shares the caller's buffers with the tensors: no copies on the way in or out but the device's.
        var input = torch.from_array(features).narrow(0, 0, (long)rows * InputSize).view(shape);
        if (Device.type != DeviceType.CPU)
            input = input.to(Device);
        var output = _network.forward(input);
        if (Task == PredictionTask.MulticlassClassification)
            output = nn.functional.softmax(output, 1);
        torch.from_array(scores).narrow(0, 0, (long)rows * OutputSize).copy_(output.reshape(-1));
    }

    public void Dispose() => _network.Dispose();
}
