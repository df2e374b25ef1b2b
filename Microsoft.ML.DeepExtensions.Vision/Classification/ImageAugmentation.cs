using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// Random crop with zero padding and random horizontal flip of a batch of images
/// <c>[N, C, H, W]</c>, done on the batch's device with a few tensor operations (no per-image loop).
/// </summary>
/// <remarks>
/// The crop pads each side by <c>padding</c> pixels and takes an H×W window at a random offset
/// per image, i.e. shifts every image by up to ±padding pixels, as in the usual CIFAR recipe.
/// </remarks>
internal sealed class ImageAugmentation : BatchAugmentation
{
    private readonly int _padding;
    private readonly bool _horizontalFlip;

    public ImageAugmentation(int padding, bool horizontalFlip)
    {
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"RandomCropPadding must be zero or positive, got {padding}.");
        _padding = padding;
        _horizontalFlip = horizontalFlip;
    }

    public bool IsIdentity => _padding == 0 && !_horizontalFlip;

    public override Tensor Apply(Tensor features)
    {
        var images = features;
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        if (_horizontalFlip)
        {
            var flip = torch.rand(new[] { n, 1L, 1L, 1L }, device: images.device) < 0.5;
            images = torch.where(flip, images.flip(3), images);
        }
        if (_padding > 0)
        {
            int p = _padding;
            var padded = nn.functional.pad(images, new long[] { p, p, p, p });
            // Per-image offsets in [0, 2p]: gather rows, then columns, of the padded images.
            var rowOffsets = torch.randint(0, 2 * p + 1, new[] { n, 1L }, device: images.device);
            var colOffsets = torch.randint(0, 2 * p + 1, new[] { n, 1L }, device: images.device);
            var rows = (torch.arange(h, device: images.device).unsqueeze(0) + rowOffsets) // [n, h]
                .view(n, 1, h, 1).expand(n, c, h, w + 2 * p);
            var cropped = padded.gather(2, rows);
            var cols = (torch.arange(w, device: images.device).unsqueeze(0) + colOffsets) // [n, w]
                .view(n, 1, 1, w).expand(n, c, h, w);
            images = cropped.gather(3, cols);
        }
        return images;
    }
}
