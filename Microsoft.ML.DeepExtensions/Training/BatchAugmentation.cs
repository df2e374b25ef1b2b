using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// A random change applied to each training batch's features on the training device (never to
/// validation or scoring batches), e.g. random crops and flips of images. Draws from TorchSharp's
/// global generator, which the trainer seeds, so a seeded run stays repeatable on the CPU.
/// </summary>
internal abstract class BatchAugmentation
{
    /// <summary>Returns the augmented features <c>[N, ...]</c>; created inside the caller's dispose scope.</summary>
    public abstract Tensor Apply(Tensor features);
}
