using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Trainers;

/// <summary>
/// What every DeepExtensions trainer does the same way: check the schema, pick the device and
/// seed, build the batch sources, run the shared <see cref="TrainingLoop"/> and wrap the result
/// in a <see cref="NetworkPredictionTransformer"/>. A concrete trainer only says which network
/// to build for the features and the number of outputs.
/// </summary>
public abstract class NetworkTrainer<TOptions> : IEstimator<NetworkPredictionTransformer>
    where TOptions : DeepTrainerOptions
{
    private protected NetworkTrainer(IHostEnvironment env, PredictionTask task, TOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Host = env.Register(name);
        Task = task;
        TrainerOptions = options;
        Loss = options.Loss ?? Losses.Losses.DefaultFor(task);
        Loss.EnsureSupports(task);
        DeepExtensionsRegistration.Register(env);
    }

    private protected IHost Host { get; }

    /// <summary>What the trained network predicts.</summary>
    public PredictionTask Task { get; }

    /// <summary>The options this trainer was created with.</summary>
    public TOptions TrainerOptions { get; }

    /// <summary>The loss actually used (the task's default when none was given).</summary>
    public Loss Loss { get; }

    /// <summary>How the last <see cref="Fit"/> went: one report per epoch.</summary>
    public IReadOnlyList<TrainingProgress> TrainingHistory { get; private set; } = Array.Empty<TrainingProgress>();

    /// <summary>Shape of one feature row of <paramref name="schema"/> as the network sees it; null means the column's own shape.</summary>
    private protected virtual long[]? FeatureShape(DataViewSchema schema) => null;

    /// <summary>A random change of each training batch (e.g. image crops and flips); none by default.</summary>
    private protected virtual BatchAugmentation? CreateAugmentation(TensorColumn features) => null;

    /// <summary>
    /// Readies the freshly built network before training (e.g. loads pretrained weights, freezes layers) and says
    /// which parameters train at which learning rate; null (the default) trains every parameter at the optimizer's rate.
    /// </summary>
    private protected virtual IReadOnlyList<ParameterGroup>? PrepareNetwork(NetworkDefinition definition, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> network, IChannel channel) => null;

    /// <summary>The network to train for these features and this many outputs.</summary>
    private protected abstract NetworkDefinition CreateNetwork(TensorColumn features, int outputSize);

    public NetworkPredictionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var features = TensorColumn.Bind(input.Schema, TrainerOptions.FeatureColumnName, "Feature", FeatureShape(input.Schema));
        var label = LabelColumn.Bind(input.Schema, TrainerOptions.LabelColumnName, Task);
        (TensorColumn Features, LabelColumn Label)? validationColumns = null;
        if (TrainerOptions.ValidationData is { } validationData)
        {
            var validationFeatures = TensorColumn.Bind(validationData.Schema, TrainerOptions.FeatureColumnName, "Validation feature", FeatureShape(validationData.Schema));
            if (validationFeatures.Size != features.Size)
                throw new ArgumentOutOfRangeException(nameof(DeepTrainerOptions.ValidationData), $"ValidationData's feature column '{features.Name}' has {validationFeatures.Size} values per row; the training data has {features.Size}.");
            var validationLabel = LabelColumn.Bind(validationData.Schema, TrainerOptions.LabelColumnName, Task);
            if (validationLabel.ClassCount != label.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(DeepTrainerOptions.ValidationData), $"ValidationData's label column '{label.Name}' has {validationLabel.ClassCount} classes; the training data has {label.ClassCount}. Fit the key mapping on the training data and apply it to both.");
            validationColumns = (validationFeatures, validationLabel);
        }

        int outputSize = Task == PredictionTask.MulticlassClassification ? label.ClassCount : 1;
        var classes = Task == PredictionTask.MulticlassClassification ? KeyValues.FromColumn(input.Schema[label.Name], label.ClassCount) : null;
        var predictions = new PredictionColumns(Task, classes);

        using var channel = Host.Start("Training");
        var (device, _, shuffleRandom, cacheBytes) = TrainingStart.Begin(TrainerOptions, Host, channel);
        using var training = new DataViewBatchSource(input, features, label, device, cacheBytes);
        training.Prepare(TrainerOptions.CancellationToken);
        if (training.SkippedRows > 0)
            channel.Warning(MessageSensitivity.None, $"Skipped {training.SkippedRows} training rows with a missing label or feature value.");

        var definition = CreateNetwork(features, outputSize);
        if (Task == PredictionTask.Regression && training.TargetStandardDeviation > 0)
            definition.RescaleOutput(training.TargetMean, training.TargetStandardDeviation);
        channel.Info(MessageSensitivity.None, Task == PredictionTask.Regression
            ? $"Training {definition} on {training.RowCount} rows on {TorchBackend.Describe(device)}."
            : $"Training {definition} on {training.RowCount} rows, {label.ClassCount} classes, on {TorchBackend.Describe(device)}.");

        using var validation = validationColumns is var (validationFeatureColumn, validationLabelColumn)
            ? new DataViewBatchSource(TrainerOptions.ValidationData!, validationFeatureColumn, validationLabelColumn, device, cacheBytes)
            : null;
        validation?.Prepare(TrainerOptions.CancellationToken);

        var network = definition.Build();
        try
        {
            network.to(device);
            // After the move: moving to a GPU replaces the parameter objects the groups hold.
            var groups = PrepareNetwork(definition, network, channel);
            var objective = new SupervisedObjective(network, Task, Loss, CreateAugmentation(features), validation);
            var summary = TrainingLoop.Run(network, objective, TrainerOptions, training, validation is not null, shuffleRandom, channel, groups);
            TrainingHistory = summary.History;
            var scorer = new NetworkScorer(definition, network, device, Task);
            return new NetworkPredictionTransformer(Host, scorer, predictions, features.Name, TrainerOptions.ScoringBatchSize, TrainerOptions.Device, TrainerOptions.CudaDeviceIndex);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var featureColumn = Find(inputSchema, TrainerOptions.FeatureColumnName, "Feature");
        bool adapted = featureColumn.Kind == SchemaShape.Column.VectorKind.Scalar && TensorColumn.IsAdaptedType(featureColumn.ItemType);
        if (!adapted && (featureColumn.ItemType != NumberDataViewType.Single && featureColumn.ItemType != NumberDataViewType.Double
            || featureColumn.Kind == SchemaShape.Column.VectorKind.VariableVector))
            throw new ArgumentOutOfRangeException(TrainerOptions.FeatureColumnName, $"Schema mismatch for feature column '{TrainerOptions.FeatureColumnName}': expected Single or a known-size vector of Single, got {Describe(featureColumn)}.");
        var labelColumn = Find(inputSchema, TrainerOptions.LabelColumnName, "Label");
        CheckLabel(labelColumn);

        int classes = labelColumn.ItemType is KeyDataViewType key && key.Count is > 1 and <= int.MaxValue ? (int)key.Count : 2;
        var placeholder = Task == PredictionTask.MulticlassClassification
            ? KeyValues.Text(Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            : null;
        var added = MlNetInternals.ToSchemaShape(new PredictionColumns(Task, placeholder).Append(new DataViewSchema.Builder().ToSchema()));
        var addedNames = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(inputSchema.Where(c => !addedNames.Contains(c.Name)).Concat(added));
    }

    private void CheckLabel(SchemaShape.Column label)
    {
        bool ok = Task switch
        {
            PredictionTask.BinaryClassification => label.Kind == SchemaShape.Column.VectorKind.Scalar &&
                (label.ItemType == BooleanDataViewType.Instance || label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double),
            PredictionTask.MulticlassClassification => label.Kind == SchemaShape.Column.VectorKind.Scalar && label.IsKey,
            _ => label.Kind == SchemaShape.Column.VectorKind.Scalar && (label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double),
        };
        if (ok)
            return;
        string expected = Task switch
        {
            PredictionTask.BinaryClassification => "Boolean, Single or Double",
            PredictionTask.MulticlassClassification => "Key (use MapValueToKey first)",
            _ => "Single or Double",
        };
        throw new ArgumentOutOfRangeException(label.Name, $"Schema mismatch for label column '{label.Name}': expected {expected}, got {Describe(label)}.");
    }

    private static SchemaShape.Column Find(SchemaShape schema, string name, string role) =>
        schema.Any(c => c.Name == name)
            ? schema.First(c => c.Name == name)
            : throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found. Available columns: {string.Join(", ", schema.Select(c => c.Name))}.");

    private static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.ItemType.ToString() ?? "",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"VarVector<{column.ItemType}>",
    };
}
