using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// A detection network as the detection training path sees it, whatever its family (YOLO, R-CNN): a module to
/// optimise, a loss of named parts for a batch of images and their objects, and detections for a batch of images.
/// </summary>
internal abstract class TrainableDetector
{
    /// <summary>The module whose parameters are trained and whose state is saved.</summary>
    public abstract nn.Module Module { get; }

    /// <summary>Names of the loss parts, in the order of <see cref="Loss(Tensor, Tensor)"/>'s parts vector (e.g. box, objectness, class).</summary>
    public abstract IReadOnlyList<string> LossPartNames { get; }

    /// <summary>The loss of a batch with the module in training mode.</summary>
    /// <param name="images"><c>[N, 3, S, S]</c> RGB in [0, 1].</param>
    /// <param name="targets"><c>[T, 6]</c>: image index, class index, x0 y0 x1 y1 in the images' pixels.</param>
    /// <returns>The scalar to differentiate (a mean over the images) and its parts as a detached float vector.</returns>
    public abstract (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets);

    /// <summary>The loss of a batch (training mode); a detector that learns masks overrides this to read <see cref="DetectionBatch.Masks"/>.</summary>
    public virtual (Tensor Total, Tensor Parts) Loss(DetectionBatch batch) => Loss(batch.Images, batch.Targets);

    /// <summary>Detections of a batch with the module in evaluation mode, without gradients.</summary>
    /// <param name="images"><c>[N, 3, S, S]</c> RGB in [0, 1].</param>
    /// <returns>One result per image, boxes in the images' own (network-input) pixels, best first.</returns>
    public abstract IReadOnlyList<ObjectDetections> Detect(Tensor images);
}
