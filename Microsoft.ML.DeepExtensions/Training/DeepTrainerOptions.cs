using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Schedules;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// Options every DeepExtensions trainer shares: columns, the training loop, feedback and device.
/// Architecture-specific trainers add theirs in a derived <c>Options</c> class.
/// </summary>
public abstract class DeepTrainerOptions
{
    /// <summary>The label column. Defaults to <c>Label</c>.</summary>
    public string LabelColumnName = "Label";

    /// <summary>The features column: a Single (or Double) scalar or known-size vector. Defaults to <c>Features</c>.</summary>
    public string FeatureColumnName = "Features";

    /// <summary>The most passes over the training data. Defaults to 200; early stopping usually ends sooner.</summary>
    public int Epochs = 200;

    /// <summary>
    /// Rows per gradient step: <see cref="BatchSize.Full"/> (batch gradient descent), <see cref="BatchSize.Stochastic"/>
    /// (one row) or a mini-batch size. Defaults to <see cref="BatchSize.Auto"/>: min(200, rows), as scikit-learn's MLPs.
    /// </summary>
    public BatchSize BatchSize = BatchSize.Auto;

    /// <summary>The optimizer and its learning rate. Defaults to <see cref="Adam"/> with learning rate 0.001.</summary>
    public Optimizer Optimizer = new Adam();

    /// <summary>The loss. Defaults to sigmoid cross-entropy (binary), softmax cross-entropy (multiclass) or L2 (regression).</summary>
    public Loss? Loss;

    /// <summary>How the learning rate changes from epoch to epoch. Defaults to a constant learning rate.</summary>
    public LearningRateSchedule? LearningRateSchedule;

    /// <summary>
    /// Keeps an exponential moving average of the weights (Polyak averaging, as YOLOv5's <c>ModelEMA</c> and Keras'
    /// <c>use_ema</c>) with this momentum: after step n, <c>average = d·average + (1 - d)·weights</c>, with
    /// <c>d = min(momentum, (1 + n) / (10 + n))</c> (TensorFlow's ramp). Validation scores the average, early stopping
    /// keeps the best average, and the fitted model is the average. Must be in (0, 1). Defaults to null (no averaging).
    /// </summary>
    public double? WeightAverageMomentum;

    /// <summary>
    /// A budget for the whole training (epochs and their validation; Ultralytics' <c>time</c>, ML.NET Model Builder's time
    /// to train): after each epoch, when <see cref="Epochs"/> would not fit at the mean epoch time so far, the run is
    /// shortened to the epochs that do (none more when the next would not), the learning-rate schedule is stretched over
    /// the new count, and the change is logged; a shortened run gets epochs back when the mean falls (a slow first epoch)
    /// and they fit with 5% of the budget to spare. Never trains more than <see cref="Epochs"/>. Must be positive.
    /// Defaults to null (no budget).
    /// </summary>
    public TimeSpan? TimeLimit;

    /// <summary>Rescales the gradients when their global L2 norm exceeds this. Defaults to null (no clipping).</summary>
    public double? GradientClipNorm;

    /// <summary>Clamps every gradient value to ±this. Defaults to null (no clipping).</summary>
    public double? GradientClipValue;

    /// <summary>
    /// Rows scored after each epoch for early stopping and reporting; the best epoch's weights are kept.
    /// Must have the training data's feature and label columns. Defaults to null (the training loss is monitored).
    /// </summary>
    public IDataView? ValidationData;

    /// <summary>
    /// Stop after this many epochs without improvement of the monitored loss (validation loss when
    /// <see cref="ValidationData"/> is set, else training loss). 0 turns early stopping off. Defaults to 10.
    /// </summary>
    public int EarlyStoppingPatience = 10;

    /// <summary>Relative improvement the monitored loss must make to count. Defaults to 1e-4.</summary>
    public double EarlyStoppingMinDelta = 1e-4;

    /// <summary>Seed for weight initialisation, dropout and shuffling. Defaults to null: drawn from the MLContext (repeatable under <c>new MLContext(seed)</c>).</summary>
    public int? Seed;

    /// <summary>Shuffle the training rows every epoch. Defaults to true.</summary>
    public bool Shuffle = true;

    /// <summary>Where to train and score. Defaults to <see cref="ComputeDevice.Auto"/> (a CUDA GPU when usable).</summary>
    public ComputeDevice Device = ComputeDevice.Auto;

    /// <summary>CUDA device index. Defaults to null: <c>MLContext.GpuDeviceId</c>, else 0.</summary>
    public int? CudaDeviceIndex;

    /// <summary>
    /// A folder with a (CUDA) libtorch 2.10 to load before TorchSharp starts, such as a PyTorch install's
    /// <c>torch/lib</c>. Defaults to null: the <c>DEEPEXT_LIBTORCH_DIR</c> environment variable, else the
    /// libtorch shipped with TorchSharp-cpu.
    /// </summary>
    public string? LibTorchDirectory;

    /// <summary>
    /// Training data up to this size (after conversion to tensors) is kept in memory between epochs;
    /// larger data is streamed from the <see cref="IDataView"/> every epoch. Defaults to 1024 MB.
    /// </summary>
    public int CacheLimitMegabytes = 1024;

    /// <summary>Rows per forward pass when scoring. Defaults to 256.</summary>
    public int ScoringBatchSize = 256;

    /// <summary>Receives one report per epoch. Defaults to null.</summary>
    public IProgress<TrainingProgress>? Progress;

    /// <summary>Receives running loss, metric and speed within each epoch, about twice a second. Defaults to null.</summary>
    public IProgress<BatchProgress>? BatchProgress;

    /// <summary>Stops training between batches by throwing <see cref="OperationCanceledException"/>. Defaults to none.</summary>
    public CancellationToken CancellationToken;

    /// <summary>Checks the options that do not depend on the data, naming the option at fault.</summary>
    internal virtual void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), "must name a column");
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), "must name a column");
        Require(Epochs > 0, nameof(Epochs), $"must be positive, got {Epochs}");
        Require(Optimizer is not null, nameof(Optimizer), "must be set");
        Require(GradientClipNorm is null or > 0, nameof(GradientClipNorm), $"must be positive, got {GradientClipNorm}");
        Require(WeightAverageMomentum is null or (> 0 and < 1), nameof(WeightAverageMomentum), $"must be in (0, 1), got {WeightAverageMomentum}");
        Require(GradientClipValue is null or > 0, nameof(GradientClipValue), $"must be positive, got {GradientClipValue}");
        Require(TimeLimit is null || TimeLimit > TimeSpan.Zero, nameof(TimeLimit), $"must be positive, got {TimeLimit}");
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), $"must be 0 or more, got {EarlyStoppingPatience}");
        Require(EarlyStoppingMinDelta >= 0, nameof(EarlyStoppingMinDelta), $"must be 0 or more, got {EarlyStoppingMinDelta}");
        Require(CudaDeviceIndex is null or >= 0, nameof(CudaDeviceIndex), $"must be 0 or more, got {CudaDeviceIndex}");
        Require(CacheLimitMegabytes >= 0, nameof(CacheLimitMegabytes), $"must be 0 or more, got {CacheLimitMegabytes}");
        Require(ScoringBatchSize > 0, nameof(ScoringBatchSize), $"must be positive, got {ScoringBatchSize}");
    }

    private protected static void Require(bool condition, string option, string rule)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, $"{option} {rule}.");
    }
}
