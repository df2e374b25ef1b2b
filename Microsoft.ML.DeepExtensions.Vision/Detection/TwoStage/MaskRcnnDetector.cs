using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Detects objects and their masks with a trained Mask R-CNN: the transformer that
/// <c>mlContext.ObjectDetection().Trainers.MaskRcnn(...)</c> fits. Beside the boxes, labels and scores it writes
/// <c>PredictedMasks</c>: each detection's 28 × 28 mask pasted into the original image at its box (torchvision's
/// <c>paste_masks_in_image</c>), thresholded at 0.5, over the box rounded out to whole pixels (see
/// <see cref="RcnnDetector"/> and <see cref="DetectionColumns"/>).
/// </summary>
public sealed class MaskRcnnDetector : RcnnDetector
{
    internal const string LoaderSignature = "MaskRcnnDetector";
    private const string ModelSignature = "MRCNNDET";

    static MaskRcnnDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(MaskRcnnDetector), Load);

    internal MaskRcnnDetector(IHostEnvironment env, Parts parts)
        : base(env, nameof(MaskRcnnDetector), LoaderSignature, ModelSignature, parts)
    {
    }

    private static object Load(IHostEnvironment env, BinaryReader reader) =>
        new MaskRcnnDetector(env, Read(env, reader, "Mask R-CNN", masks: true));
}
