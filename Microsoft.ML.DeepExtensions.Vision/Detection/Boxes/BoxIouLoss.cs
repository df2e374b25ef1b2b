using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>
/// IoU-family regression losses of aligned box pairs (box <c>i</c> of one set against box <c>i</c> of the other),
/// differentiable, as torchvision's <c>generalized_box_iou_loss</c> and <c>complete_box_iou_loss</c> (without reduction).
/// </summary>
public static class BoxIouLoss
{
    /// <summary>
    /// GIoU loss, <c>1 - IoU + |C \ (A ∪ B)| / |C|</c> with <c>C</c> the smallest box enclosing both
    /// (Rezatofighi et al., 2019, "Generalized Intersection over Union").
    /// </summary>
    /// <param name="predicted"><c>[K, 4]</c> x0 y0 x1 y1.</param>
    /// <param name="target"><c>[K, 4]</c> x0 y0 x1 y1.</param>
    /// <param name="eps">Keeps divisions finite for empty boxes. Defaults to 1e-7, as torchvision.</param>
    /// <returns><c>[K]</c> losses in [0, 2).</returns>
    public static Tensor Generalized(Tensor predicted, Tensor target, double eps = 1e-7)
    {
        var (iou, union) = BoxIou.AlignedWithUnion(predicted, target, eps);
        var enclosing = EnclosingWidthHeight(predicted, target);
        var enclosingArea = enclosing.Width * enclosing.Height;
        return 1 - iou + (enclosingArea - union) / (enclosingArea + eps);
    }

    /// <summary>
    /// CIoU loss, <c>1 - IoU + ρ²/c² + αv</c>: centre distance over the enclosing box's squared diagonal, and the
    /// aspect-ratio term <c>v = 4/π² (atan(w_t/h_t) - atan(w/h))²</c>, <c>α = v / (1 - IoU + v)</c> (Zheng et al., 2020,
    /// "Enhancing Geometric Factors in Model Learning and Inference for Object Detection").
    /// </summary>
    /// <inheritdoc cref="Generalized"/>
    public static Tensor Complete(Tensor predicted, Tensor target, double eps = 1e-7)
    {
        var iou = BoxIou.Aligned(predicted, target, eps);
        var enclosing = EnclosingWidthHeight(predicted, target);
        var diagonal = enclosing.Width.square() + enclosing.Height.square() + eps;
        var centerX = (predicted[.., 0] + predicted[.., 2] - target[.., 0] - target[.., 2]) / 2;
        var centerY = (predicted[.., 1] + predicted[.., 3] - target[.., 1] - target[.., 3]) / 2;
        var distance = centerX.square() + centerY.square();

        var width = predicted[.., 2] - predicted[.., 0];
        var height = predicted[.., 3] - predicted[.., 1];
        var targetWidth = target[.., 2] - target[.., 0];
        var targetHeight = target[.., 3] - target[.., 1];
        var v = 4 / (Math.PI * Math.PI) * (atan(targetWidth / targetHeight) - atan(width / height)).square();
        Tensor alpha;
        using (no_grad())
            alpha = v / (1 - iou + v + eps);
        return 1 - iou + distance / diagonal + alpha * v;
    }

    private static (Tensor Width, Tensor Height) EnclosingWidthHeight(Tensor a, Tensor b) =>
        (maximum(a[.., 2], b[.., 2]) - minimum(a[.., 0], b[.., 0]), maximum(a[.., 3], b[.., 3]) - minimum(a[.., 1], b[.., 1]));
}
