using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>
/// Trains a <see cref="FasterRcnn"/> (a ResNet backbone, with or without a feature pyramid) inside <c>Fit()</c>, on the CPU
/// or a CUDA GPU, from random weights. Created through <c>mlContext.ObjectDetection().Trainers.FasterRcnn(...)</c>; fits a
/// <see cref="FasterRcnnDetector"/>.
/// </summary>
/// <remarks>
/// <para>Input: ML.NET's object-detection columns, as for every detector trainer (<see cref="DetectionTrainerOptions"/>);
/// images are letterboxed to <see cref="DetectionTrainerOptions.ImageSize"/>, which is also the transform's min and max size.</para>
/// <para>The loss is torchvision's sum of four parts, reported per epoch: <c>rpn-objectness</c>, <c>rpn-box</c>,
/// <c>classifier</c> and <c>box</c> (<see cref="RcnnLoss"/>); with <c>ValidationData</c> the COCO AP and AP50 of each
/// epoch are reported and early stopping keeps the weights of the best AP. The options' <c>ConfidenceThreshold</c>,
/// <c>IouThreshold</c> and <c>MaxDetections</c> replace the box head's score threshold, NMS threshold and detections
/// per image.</para>
/// </remarks>
public sealed class FasterRcnnTrainer : DetectionTrainer<FasterRcnnTrainer.Options, FasterRcnnDetector>
{
    /// <summary>Options of <see cref="FasterRcnnTrainer"/>: those of every R-CNN trainer (<see cref="RcnnTrainerOptions"/>), with their defaults.</summary>
    public sealed class Options : RcnnTrainerOptions
    {
    }

    internal FasterRcnnTrainer(IHostEnvironment env, Options options)
        : base(env, options, nameof(FasterRcnnTrainer))
    {
    }

    private protected override TrainableDetector CreateDetector(DetectionTrainingSetup setup) =>
        TrainerOptions.CreateDetector(setup);

    private protected override FasterRcnnDetector CreateTransformer(TrainableDetector detector, DetectionTrainingSetup setup, DetectionColumns columns) =>
        new(Host, TrainerOptions.DetectorParts(detector, setup, columns));
}
