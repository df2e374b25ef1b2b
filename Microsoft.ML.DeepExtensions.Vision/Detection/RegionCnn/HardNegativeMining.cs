using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// Hard-negative mining (Felzenszwalb et al., "Object Detection with Discriminatively Trained Part-Based Models", PAMI
/// 2010; R-CNN, section 2.3): after an SVM is trained on the negatives it has seen, the negatives it scores inside the
/// margin (above −1) that it has not seen yet are the informative ones; the highest-scoring of them join its training set.
/// </summary>
internal static class HardNegativeMining
{
    /// <summary>The SVM margin: a negative scoring above this violates it. −1 (the hinge's).</summary>
    public const float Margin = -1f;

    /// <summary>The hardest unseen negatives.</summary>
    /// <param name="scores"><c>[R]</c>: the SVM's score of every region.</param>
    /// <param name="candidates"><c>[R]</c> bool: the regions that are negatives of this class and not yet in its training set.</param>
    /// <param name="count">The most to return.</param>
    /// <returns>Indices of up to <paramref name="count"/> candidates scoring above <see cref="Margin"/>, highest score first, int64.</returns>
    public static Tensor Select(Tensor scores, Tensor candidates, int count)
    {
        if (scores.dim() != 1 || candidates.shape.Length != 1 || candidates.shape[0] != scores.shape[0])
            throw new ArgumentException($"Scores and candidates must be [R] each, got [{string.Join(", ", scores.shape)}] and [{string.Join(", ", candidates.shape)}].", nameof(candidates));
        if (count < 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"Count must be 0 or more, got {count}.");
        using var scope = torch.NewDisposeScope();
        var hard = (candidates.logical_and(scores > Margin)).nonzero().squeeze(1);
        if (hard.shape[0] == 0 || count == 0)
            return torch.empty(0, ScalarType.Int64, scores.device).MoveToOuterDisposeScope();
        var order = scores.index_select(0, hard).argsort(descending: true).narrow(0, 0, Math.Min(count, hard.shape[0]));
        return hard.index_select(0, order).MoveToOuterDisposeScope();
    }
}
