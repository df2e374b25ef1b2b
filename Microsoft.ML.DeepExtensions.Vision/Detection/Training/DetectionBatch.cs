using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// One mini-batch of a detector: images with a variable number of objects each, on the training device.
/// </summary>
/// <param name="Images"><c>[N, 3, S, S]</c> float RGB in [0, 1], letterboxed to the network's size.</param>
/// <param name="Targets"><c>[T, 6]</c> float: image index in the batch, class index, x0 y0 x1 y1 in the batch's
/// pixels; all the batch's objects, grouped by image. <c>T</c> may be 0 (background only).</param>
/// <param name="Rows">Images in the batch (<c>N</c>).</param>
/// <param name="Masks">For detectors that learn masks, <c>[T, S, S]</c> bytes: each object's binary mask (1 = object) in the
/// batch's pixels, in the order of <paramref name="Targets"/>; null otherwise.</param>
internal readonly record struct DetectionBatch(Tensor Images, Tensor Targets, int Rows, Tensor? Masks = null);
