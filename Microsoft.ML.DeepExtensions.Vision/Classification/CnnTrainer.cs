using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Trainers;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// Trains a convolutional network (LeNet-5, AlexNet, VGG-16, ResNet, GoogLeNet, a small CNN or
/// your own TorchSharp module) to classify images, inside <c>Fit()</c>, on the CPU or a CUDA GPU.
/// Created through <c>mlContext.MulticlassClassification.Trainers.Cnn(...)</c>.
/// </summary>
/// <remarks>
/// The features are either an image column (<c>LoadImages</c> then <c>ResizeImages</c>; read as
/// RGB in [0, 1], or grayscale when <see cref="Options.ImageShape"/> says 1 channel) or a
/// known-size float vector of planar pixels (<c>ExtractPixels</c>, or DeepExtensions' IDX
/// loader), whose image shape is <see cref="Options.ImageShape"/> or read from the pipeline.
/// Outputs are ML.NET's multiclass columns: <c>Score</c> (one probability per class, with
/// <c>SlotNames</c>) and a key <c>PredictedLabel</c>.
/// </remarks>
public sealed class CnnTrainer : NetworkTrainer<CnnTrainer.Options>
{
    /// <summary>Options of <see cref="CnnTrainer"/>; see <see cref="DeepTrainerOptions"/> for the shared ones.</summary>
    public sealed class Options : DeepTrainerOptions
    {
        /// <summary>Creates options with the image defaults: 10 epochs, mini-batches of 64, a cosine learning-rate schedule.</summary>
        public Options()
        {
            Epochs = 10;
            BatchSize = BatchSize.Of(64);
            LearningRateSchedule = new CosineSchedule();
        }

        /// <summary>The network. Defaults to <c>small-cnn</c>, a fast CNN for small images; see <see cref="ImageArchitectures"/>.</summary>
        public ImageArchitecture Architecture = ImageArchitectures.Get("small-cnn");

        /// <summary>
        /// Channels, height and width of the images. Defaults to null: read from the image column,
        /// the pixel vector's annotation, or the resized image column <c>ExtractPixels</c> read.
        /// For an image feature column, 1 channel reads the images as grayscale.
        /// </summary>
        public ImageShape? ImageShape;

        /// <summary>Random crop: pads each side by this many pixels and crops back at a random offset. Defaults to 0 (off).</summary>
        public int RandomCropPadding;

        /// <summary>Flips half of the training images left to right. Defaults to false.</summary>
        public bool HorizontalFlip;

        /// <summary>
        /// Weights to start from instead of random ones: a PyTorch <c>torch.save(model.state_dict())</c> file (<c>.pt</c>,
        /// <c>.pth</c>, <c>.bin</c>), a <c>.safetensors</c> file (torchvision's tensor names), or a model.zip of an image
        /// classifier trained or imported by DeepExtensions. The classifier is re-initialized when its class count
        /// differs. Defaults to null (random initialization).
        /// </summary>
        public string? InitialWeights;

        /// <summary>Refuse <see cref="InitialWeights"/> that lack a tensor of the network or have one it does not (the classifier aside). Defaults to true.</summary>
        public bool StrictWeights = true;

        /// <summary>Train only the classifier; every other weight keeps its initial value. Defaults to false.</summary>
        public bool FreezeBackbone;

        /// <summary>
        /// Train the classifier and the last this many stages of the backbone (e.g. 1 = <c>layer4</c> of a ResNet), the
        /// earlier ones frozen; see <see cref="FineTuning"/> for what a stage is. Defaults to null (all stages train).
        /// </summary>
        public int? TrainableStages;

        /// <summary>
        /// The classifier's learning rate, which the schedule scales like the optimizer's (e.g. 10× a pretrained
        /// backbone's). Defaults to null (the optimizer's learning rate).
        /// </summary>
        public double? HeadLearningRate;

        /// <summary>
        /// The per-channel normalization the weights expect of [0, 1] pixels, applied in the network and stored with the
        /// model so scoring applies it too: <see cref="ImageNormalization.ImageNet"/> for torchvision's pretrained weights.
        /// Defaults to null (pixels as they are).
        /// </summary>
        public ImageNormalization? Normalization;

        internal override void Validate()
        {
            base.Validate();
            Require(Architecture is not null, nameof(Architecture), "must be set");
            Require(RandomCropPadding >= 0, nameof(RandomCropPadding), $"must be zero or positive, got {RandomCropPadding}");
            if (ImageShape is { } shape)
                Require(shape.Channels > 0 && shape.Height > 0 && shape.Width > 0, nameof(ImageShape), $"must have positive sizes, got {shape}");
            Require(TrainableStages is null or >= 0, nameof(TrainableStages), $"must be 0 or more, got {TrainableStages}");
            Require(!(FreezeBackbone && TrainableStages is > 0), nameof(TrainableStages), $"cannot be {TrainableStages} with FreezeBackbone (which trains no stage)");
            Require(HeadLearningRate is null || (HeadLearningRate > 0 && double.IsFinite(HeadLearningRate.Value)), nameof(HeadLearningRate), $"must be positive, got {HeadLearningRate}");
            Require(InitialWeights is null || File.Exists(InitialWeights), nameof(InitialWeights), $"must name an existing file, got '{InitialWeights}'");
        }
    }

    internal CnnTrainer(IHostEnvironment env, Options options)
        : base(env, PredictionTask.MulticlassClassification, options, nameof(CnnTrainer))
    {
    }

    private protected override long[]? FeatureShape(DataViewSchema schema) =>
        ImageShapeResolver.Resolve(schema, TrainerOptions.FeatureColumnName, TrainerOptions.ImageShape).ToTensorShape();

    private protected override BatchAugmentation? CreateAugmentation(TensorColumn features)
    {
        var augmentation = new ImageAugmentation(TrainerOptions.RandomCropPadding, TrainerOptions.HorizontalFlip);
        return augmentation.IsIdentity ? null : augmentation;
    }

    private protected override NetworkDefinition CreateNetwork(TensorColumn features, int outputSize) =>
        new ImageNetwork(TrainerOptions.Architecture, features.Shape, outputSize, TrainerOptions.Normalization);

    private protected override IReadOnlyList<ParameterGroup>? PrepareNetwork(NetworkDefinition definition, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> network, IChannel channel) =>
        FineTuning.Prepare(TrainerOptions, (ImageNetwork)definition, network, channel);
}
