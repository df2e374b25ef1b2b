using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// The decoded predictions of one YOLO head for a batch of N images, P = A·H·W per image in anchor-major order
/// (see <see cref="YoloLayerDecoder"/>). Disposing it disposes the three tensors.
/// </summary>
/// <param name="Boxes"><c>[N, P, 4]</c>: x0, y0, x1, y1 in network-input pixels.</param>
/// <param name="Objectness"><c>[N, P]</c>: σ(to), the probability that the box holds an object.</param>
/// <param name="ClassProbabilities"><c>[N, P, C]</c>: objectness · σ(t_c), Darknet's class probabilities.</param>
public sealed record YoloLayerPredictions(Tensor Boxes, Tensor Objectness, Tensor ClassProbabilities) : IDisposable
{
    /// <summary>
    /// <c>[N, P]</c> booleans: the predictions Darknet's <c>get_yolo_detections</c> reports at
    /// <paramref name="threshold"/>, those whose objectness is above it.
    /// </summary>
    public Tensor Candidates(float threshold) => Objectness.gt(threshold);

    /// <summary>
    /// <c>[N, P, C]</c>: the class probabilities with Darknet's threshold rule: a probability is kept when it is above
    /// <paramref name="threshold"/> and its prediction is a <see cref="Candidates(float)"/> one, else it is 0.
    /// </summary>
    public Tensor Thresholded(float threshold)
    {
        using var candidates = Candidates(threshold).unsqueeze(-1);
        using var keep = ClassProbabilities.gt(threshold).logical_and_(candidates);
        return ClassProbabilities.mul(keep);
    }

    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Boxes.Dispose();
        Objectness.Dispose();
        ClassProbabilities.Dispose();
    }
}
