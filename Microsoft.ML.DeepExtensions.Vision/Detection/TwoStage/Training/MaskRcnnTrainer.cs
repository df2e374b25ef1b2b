using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// Trains a Mask R-CNN (He, Gkioxari, Dollár and Girshick, ICCV 2017: a <see cref="FasterRcnn"/> with the mask branch, see
/// <see cref="MaskRcnn"/>) inside <c>Fit()</c>, on the CPU or a CUDA GPU, from random weights. Created through
/// <c>mlContext.ObjectDetection().Trainers.MaskRcnn(...)</c>; fits a <see cref="MaskRcnnDetector"/>, which writes
/// <c>PredictedMasks</c>.
/// </summary>
/// <remarks>
/// <para>Input: ML.NET's object-detection columns, as for every detector trainer (<see cref="DetectionTrainerOptions"/>), and the
/// objects' outlines (<see cref="Options.MaskColumnName"/>: the COCO loader's <c>Segmentation</c> column, polygons or run
/// lengths in <see cref="SegmentationColumn"/>'s encoding); every object needs one. Masks are rasterized at the image's size
/// and letterboxed with it.</para>
/// <para>The loss is torchvision's sum of five parts, reported per epoch: <c>rpn-objectness</c>, <c>rpn-box</c>,
/// <c>classifier</c>, <c>box</c> and <c>mask</c> (<see cref="RcnnLoss"/>); with <c>ValidationData</c> the box AP and AP50 of
/// each epoch are reported. The detection augmentations (on by default, as for every detector) move each object's mask with
/// its box and pixels: shifted exactly by mosaic, mirrored by flips, and resampled bilinearly and halved at 0.5 by zoom and shift.</para>
/// </remarks>
public sealed class MaskRcnnTrainer : DetectionTrainer<MaskRcnnTrainer.Options, MaskRcnnDetector>
{
    /// <summary>Options of <see cref="MaskRcnnTrainer"/>: those of every R-CNN trainer (<see cref="RcnnTrainerOptions"/>), the mask column and the mask branch.</summary>
    public sealed class Options : RcnnTrainerOptions
    {
        /// <summary>The objects' outlines: a vector of Single in <see cref="SegmentationColumn"/>'s encoding, one entry per object of the label column. Defaults to <c>Segmentation</c> (the COCO loader's).</summary>
        public string MaskColumnName = DetectionDataView.SegmentationColumnName;

        /// <summary>The mask branch's numbers. Defaults to <see cref="MaskHeadSettings"/>' (torchvision's: 14 × 14 RoIAlign, four convolutions of 256, 28 × 28 masks).</summary>
        public MaskHeadSettings MaskHead = new();

        private protected override MaskHeadSettings? MaskBranch => MaskHead;

        internal override void Validate()
        {
            base.Validate();
            Require(!string.IsNullOrWhiteSpace(MaskColumnName), nameof(MaskColumnName), "must name the column of the objects' outlines");
            Require(MaskHead is not null, nameof(MaskHead), "must be set");
            MaskHead!.Validate();
        }
    }

    internal MaskRcnnTrainer(IHostEnvironment env, Options options)
        : base(env, options, nameof(MaskRcnnTrainer))
    {
    }

    private protected override string? MaskColumnName => TrainerOptions.MaskColumnName;

    private protected override TrainableDetector CreateDetector(DetectionTrainingSetup setup) =>
        TrainerOptions.CreateDetector(setup);

    private protected override MaskRcnnDetector CreateTransformer(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns) =>
        new(Host, TrainerOptions.DetectorParts(detector, setup, columns));
}
