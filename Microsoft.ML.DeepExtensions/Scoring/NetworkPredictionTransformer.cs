using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// A trained network as an ML.NET transformer: adds the prediction columns of its task
/// (see <see cref="PredictionTask"/>) to any data with the feature column, scores in batches,
/// serves <c>PredictionEngine</c> row by row, and saves into model.zip.
/// </summary>
public sealed class NetworkPredictionTransformer : ITransformer, ICanSaveModel, IDisposable
{
    internal const string LoaderSignature = "DeepExtNetworkPredictor";
    private const string ModelSignature = "DXNETPRD";
    private const uint FormatVersion = 1;

    private readonly IHost _host;
    private readonly NetworkScorer _scorer;
    private readonly PredictionColumns _predictions;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;

    static NetworkPredictionTransformer() =>
        DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(NetworkPredictionTransformer), Load);

    internal NetworkPredictionTransformer(IHostEnvironment env, NetworkScorer scorer, PredictionColumns predictions, string featureColumnName,
        int scoringBatchSize, ComputeDevice devicePreference, int? cudaDeviceIndex)
    {
        _host = env.Register(nameof(NetworkPredictionTransformer));
        _scorer = scorer;
        _predictions = predictions;
        FeatureColumnName = featureColumnName;
        ScoringBatchSize = scoringBatchSize;
        _devicePreference = devicePreference;
        _cudaDeviceIndex = cudaDeviceIndex;
    }

    /// <summary>The column the network reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>What the network predicts.</summary>
    public PredictionTask Task => _predictions.Task;

    /// <summary>The network's definition (layers and sizes).</summary>
    public NetworkDefinition Network => _scorer.Definition;

    /// <summary>Rows per forward pass in <see cref="Transform"/>.</summary>
    public int ScoringBatchSize { get; }

    /// <summary>The device the network runs on, e.g. <c>cpu</c> or <c>cuda:0</c>.</summary>
    public string Device => _scorer.Device.ToString();

    /// <summary>The TorchSharp module, for inspection or export of the weights.</summary>
    public TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Module => _scorer.Network;

    /// <summary>The class names, in key order, for multiclass models; otherwise null.</summary>
    public IReadOnlyList<string>? ClassNames => _predictions.Classes?.Display;

    bool ITransformer.IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return _predictions.Append(inputSchema);
    }

    public IDataView Transform(IDataView input)
    {
        CheckInput(input.Schema);
        return new BatchedDataView(input, _predictions.Append(input.Schema), new[] { FeatureColumnName }, CreateBatch, ScoringBatchSize);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return new BatchedRowMapper(inputSchema, _predictions.Append(inputSchema), new[] { FeatureColumnName }, CreateBatch);
    }

    private void CheckInput(DataViewSchema schema) => _scorer.BindFeatures(schema, FeatureColumnName);

    private NetworkRowBatch CreateBatch(DataViewRow row, int capacity) =>
        new(row, _scorer.BindFeatures(row.Schema, FeatureColumnName), _scorer, _predictions, capacity);

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            writer.Write(FeatureColumnName);
            writer.Write(ScoringBatchSize);
            writer.Write((int)_devicePreference);
            writer.Write(_cudaDeviceIndex ?? -1);
            _predictions.Write(writer);
            _scorer.Definition.Save(writer);
            _scorer.Network.save(writer);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var featureColumn = reader.ReadString();
        int batchSize = reader.ReadInt32();
        var preference = (ComputeDevice)reader.ReadInt32();
        int cudaIndex = reader.ReadInt32();
        var predictions = PredictionColumns.Read(reader);
        var definition = NetworkDefinition.Load(reader);
        if (batchSize <= 0 || !Enum.IsDefined(preference))
            throw new InvalidDataException("Corrupt network model: invalid scoring settings.");

        TorchBackend.EnsureStarted();
        var host = env.Register(nameof(NetworkPredictionTransformer));
        // A model trained on a GPU must still load on a machine without one.
        var device = TorchBackend.ResolveDevice(preference == ComputeDevice.Cpu ? ComputeDevice.Cpu : ComputeDevice.Auto,
            cudaIndex < 0 ? null : cudaIndex, env, message => { using var channel = host.Start("Load"); channel.Warning(MessageSensitivity.None, message); });
        var network = definition.Build();
        network.load(reader);
        network.to(device);
        var scorer = new NetworkScorer(definition, network, device, predictions.Task);
        return new NetworkPredictionTransformer(env, scorer, predictions, featureColumn, batchSize, preference, cudaIndex < 0 ? null : cudaIndex);
    }

    public void Dispose() => _scorer.Dispose();
}
