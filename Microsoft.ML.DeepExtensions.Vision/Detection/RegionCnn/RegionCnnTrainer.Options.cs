using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Schedules;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

public sealed partial class RegionCnnTrainer
{
    /// <summary>
    /// Options of <see cref="RegionCnnTrainer"/>. The shared loop options (<c>Epochs</c>, <c>BatchSize</c>, <c>Optimizer</c>,
    /// <c>LearningRateSchedule</c>, ...) drive the CNN's fine-tuning on warped regions: <c>BatchSize</c> counts regions, not
    /// images. <see cref="DetectionTrainerOptions.ImageSize"/> is the square every image is letterboxed to before its
    /// proposals are computed (training and scoring alike).
    /// </summary>
    public sealed class Options : DetectionTrainerOptions
    {
        /// <summary>
        /// Creates options with the R-CNN defaults: 3 fine-tuning epochs (each shows every object region once: tens of
        /// thousands of regions for a few hundred images) of mini-batches of 128 warped regions (the paper's
        /// 32 positives and 96 background), momentum SGD at 0.01 (the paper's 0.001 is for a pretrained AlexNet; a small
        /// network from random weights learns faster at 0.01) with a cosine schedule, no augmentation of the images, and
        /// non-maximum suppression at IoU 0.3 (the paper's).
        /// </summary>
        public Options()
        {
            Epochs = 3;
            BatchSize = Microsoft.ML.DeepExtensions.Training.BatchSize.Of(128);
            Optimizer = new MomentumSgd(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4);
            LearningRateSchedule = new CosineSchedule();
            GradientClipNorm = 10;
            IouThreshold = 0.3f;
            ScoringBatchSize = 8;
            Augmentation = DetectionAugmentationOptions.None;
        }

        /// <summary>
        /// The CNN that turns a warped region into features: any image architecture of the project (see
        /// <see cref="ImageArchitectures"/>), built for <c>3 x WarpSize x WarpSize</c> regions and the classes plus
        /// background. Its features are the input of its classifier layer (the paper's fc7). Defaults to <c>small-cnn</c>
        /// (two convolution stages and a 128-unit layer: cheap enough for thousands of regions per second on a CPU).
        /// </summary>
        public ImageArchitecture Backbone = ImageArchitectures.SmallCnn;

        /// <summary>
        /// Weights to start the backbone from: a model.zip of an image classifier trained or imported by DeepExtensions, or a
        /// PyTorch <c>.pt</c>/<c>.safetensors</c> file with the backbone's tensors (its classifier is re-initialized for the
        /// classes plus background). The weights must fit <see cref="Backbone"/> at <see cref="WarpSize"/>. Defaults to null
        /// (random weights).
        /// </summary>
        public string? InitialWeights;

        /// <summary>
        /// Whether the backbone is fine-tuned on warped regions inside <c>Fit()</c> (the paper's way, for <c>Epochs</c>
        /// epochs). false uses <see cref="InitialWeights"/>' features as they are (the paper's "no fine-tuning" rows), and
        /// needs them. Defaults to true.
        /// </summary>
        public bool FineTune = true;

        /// <summary>
        /// The side of the square every region is warped to (anisotropically, as the paper's 227x227) before the CNN.
        /// Images must be at least this large on both sides. Defaults to 32 (objects of about 24 to 100 pixels; the paper's
        /// 227 is for ImageNet CNNs).
        /// </summary>
        public int WarpSize = 32;

        /// <summary>
        /// Context around each region, in warped pixels: the box is enlarged so that, once warped, this many pixels of the
        /// image surround it on each side (the paper's p = 16 at 227). Defaults to null: 16 · WarpSize / 227, rounded
        /// (2 at 32).
        /// </summary>
        public int? ContextPadding;

        /// <summary>Selective search's strategies. Defaults to <see cref="SelectiveSearchMode.Fast"/> (the paper's).</summary>
        public SelectiveSearchMode ProposalMode = SelectiveSearchMode.Fast;

        /// <summary>
        /// Proposals kept per image, the first of selective search's ranking (the paper's 2,000 per 500x375 photo, for
        /// the letterboxed image here). Fewer is faster at training and scoring, more finds more objects. Defaults to 500.
        /// </summary>
        public int MaxProposals = 500;

        /// <summary>Proposals whose width or height is below this many letterboxed pixels are dropped. Defaults to 8.</summary>
        public int MinProposalSize = 8;

        /// <summary>Fine-tuning: a region overlapping a ground-truth box by at least this IoU is that box's class, every other one is background. Defaults to 0.5 (the paper's).</summary>
        public float FineTuneIouThreshold = 0.5f;

        /// <summary>Fine-tuning: the largest share of object regions in a mini-batch (the paper's 32 of 128). Defaults to 0.25.</summary>
        public float FineTunePositiveFraction = 0.25f;

        /// <summary>
        /// SVMs: a region overlapping every ground-truth box of a class by less than this IoU is a negative of that class;
        /// the ground-truth boxes are the positives, regions in between are ignored. Defaults to 0.3 (the paper's).
        /// </summary>
        public float SvmNegativeIouThreshold = 0.3f;

        /// <summary>SVMs: L2 regularization λ of <c>λ/2·|w|² + mean hinge</c>. Defaults to 1e-4.</summary>
        public float SvmRegularization = 1e-4f;

        /// <summary>SVMs: weight of a positive's hinge loss against a negative's (the paper's liblinear runs weight positives 2). Defaults to 2.</summary>
        public float SvmPositiveWeight = 2f;

        /// <summary>SVMs: hard-negative mining rounds after the first training on random negatives. Defaults to 3.</summary>
        public int HardNegativeRounds = 3;

        /// <summary>SVMs: negatives per class of the first round (drawn at random), and the most negatives each mining round adds. Defaults to 2000.</summary>
        public int NegativesPerRound = 2000;

        /// <summary>SVMs: passes of the training loop over the active positives and negatives in each round. Defaults to 30.</summary>
        public int SvmEpochs = 30;

        /// <summary>Box regression: regions overlapping a ground-truth box by at least this IoU learn to move onto it. Defaults to 0.6 (the paper's).</summary>
        public float BoxRegressionIouThreshold = 0.6f;

        /// <summary>
        /// Box regression: the ridge penalty λ. The paper's 1000 is for AlexNet's 9,216 pool5 values; on the
        /// backbone's classifier input (128 values for small-cnn, from a few thousand regions per class) 10 keeps the fit
        /// close to least squares while staying well posed. Defaults to 10.
        /// </summary>
        public float BoxRegressionRidge = 10f;

        /// <summary>
        /// The most memory the region features of the training images may take (floats, the SVM and box regression
        /// stages read them); above it negatives are kept at random per image so that the cache fits. Defaults to 1024.
        /// </summary>
        public int FeatureCacheMegabytes = 1024;

        /// <summary>The context padding in warped pixels that these options give.</summary>
        internal int EffectiveContextPadding => ContextPadding ?? (int)Math.Round(16.0 * WarpSize / 227);

        internal override void Validate()
        {
            base.Validate();
            Require(Backbone is not null, nameof(Backbone), "must be set (an image architecture, e.g. ImageArchitectures.SmallCnn)");
            Require(WarpSize >= 4, nameof(WarpSize), $"must be at least 4, got {WarpSize}");
            Require(ContextPadding is null || (ContextPadding >= 0 && 2 * ContextPadding < WarpSize), nameof(ContextPadding), $"must be 0 or more and less than half of WarpSize ({WarpSize}), got {ContextPadding}");
            Require(Enum.IsDefined(ProposalMode), nameof(ProposalMode), $"must be Single, Fast or Quality, got {(int)ProposalMode}");
            Require(MaxProposals > 0, nameof(MaxProposals), $"must be positive, got {MaxProposals}");
            Require(MinProposalSize >= 1, nameof(MinProposalSize), $"must be at least 1, got {MinProposalSize}");
            Require(FineTuneIouThreshold is > 0 and <= 1, nameof(FineTuneIouThreshold), $"must be in (0, 1], got {FineTuneIouThreshold}");
            Require(FineTunePositiveFraction is > 0 and < 1, nameof(FineTunePositiveFraction), $"must be in (0, 1), got {FineTunePositiveFraction}");
            Require(SvmNegativeIouThreshold is > 0 and <= 1, nameof(SvmNegativeIouThreshold), $"must be in (0, 1], got {SvmNegativeIouThreshold}");
            Require(SvmRegularization >= 0 && float.IsFinite(SvmRegularization), nameof(SvmRegularization), $"must be 0 or more, got {SvmRegularization}");
            Require(SvmPositiveWeight > 0 && float.IsFinite(SvmPositiveWeight), nameof(SvmPositiveWeight), $"must be positive, got {SvmPositiveWeight}");
            Require(HardNegativeRounds >= 0, nameof(HardNegativeRounds), $"must be 0 or more, got {HardNegativeRounds}");
            Require(NegativesPerRound > 0, nameof(NegativesPerRound), $"must be positive, got {NegativesPerRound}");
            Require(SvmEpochs > 0, nameof(SvmEpochs), $"must be positive, got {SvmEpochs}");
            Require(BoxRegressionIouThreshold is > 0 and <= 1, nameof(BoxRegressionIouThreshold), $"must be in (0, 1], got {BoxRegressionIouThreshold}");
            Require(BoxRegressionRidge > 0 && float.IsFinite(BoxRegressionRidge), nameof(BoxRegressionRidge), $"must be positive, got {BoxRegressionRidge}");
            Require(FeatureCacheMegabytes > 0, nameof(FeatureCacheMegabytes), $"must be positive, got {FeatureCacheMegabytes}");
            Require(FineTune || InitialWeights is not null, nameof(FineTune), "can be false only with InitialWeights (a trained backbone whose features are used as they are)");
            Require(InitialWeights is null || File.Exists(InitialWeights), nameof(InitialWeights), $"must name an existing file, got '{InitialWeights}'");
            Require(Augmentation.IsIdentity, nameof(Augmentation), "must stay DetectionAugmentationOptions.None: the R-CNN trainer learns from fixed proposals of the images as they are");
            Require(ImageSize is null || ImageSize >= WarpSize, nameof(ImageSize), $"must be at least WarpSize ({WarpSize}), got {ImageSize}");
        }
    }
}
