using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// Applies <see cref="DetectionAugmentationOptions"/> to a training batch on its device: mosaic, copy-paste, horizontal flip,
/// zoom and shift (one affine resampling per image), HSV jitter, moving and dropping the boxes, and the objects' masks when
/// the batch has them, with their pixels. Every random draw comes from TorchSharp's seeded generator, a whole batch at a time.
/// </summary>
internal sealed class DetectionAugmentation
{
    /// <summary>The fill of pixels shifted in from outside the image: YOLO's letterbox grey, 114/255.</summary>
    private const float Fill = 114f / 255f;

    /// <summary>Copy-paste leaves out an object whose box would cover this fraction or more of an object of the receiving image (Ultralytics' IoA rule).</summary>
    private const float CopyPasteMaxCover = 0.3f;

    /// <summary>Boxes narrower or lower than this many pixels after augmentation are dropped.</summary>
    private const float MinBoxSide = 2f;

    private readonly DetectionAugmentationOptions _options;
    private readonly int _size;

    /// <summary>True in the last <see cref="DetectionAugmentationOptions.CloseMosaic"/> epochs.</summary>
    private bool _mosaicClosed;

    /// <summary>Whether the augmented batches keep their masks; false when they were read for copy-paste only.</summary>
    private readonly bool _keepMasks;

    /// <param name="options">What to change.</param>
    /// <param name="imageSize">The batches' side.</param>
    /// <param name="keepMasks">Whether the detector reads the masks (Mask R-CNN); otherwise they are dropped once copy-paste has used them.</param>
    public DetectionAugmentation(DetectionAugmentationOptions options, int imageSize, bool keepMasks = true)
    {
        _options = options;
        _size = imageSize;
        _keepMasks = keepMasks;
    }

    /// <summary>Turns mosaic off for the epoch that starts (<see cref="DetectionAugmentationOptions.CloseMosaic"/>).</summary>
    public void StartEpoch(int epoch, int epochs) => _mosaicClosed = epoch >= epochs - _options.CloseMosaic;

    /// <summary>The augmented batch; its tensors are created in the caller's dispose scope.</summary>
    public DetectionBatch Apply(DetectionBatch batch)
    {
        using var noGrad = torch.no_grad();
        var (images, targets, masks) = (batch.Images, batch.Targets, batch.Masks);
        if (_options.Mosaic > 0 && !_mosaicClosed && batch.Rows >= 2)
            (images, targets, masks) = Mosaic(images, targets, masks);
        if (_options.CopyPaste > 0 && masks is not null && batch.Rows >= 2)
            (images, targets, masks) = CopyPaste(images, targets, masks);
        if (!_keepMasks)
            masks = null; // read for copy-paste only: the flip, zoom and shift need not move them

        if (_options.HorizontalFlip > 0)
            (images, targets, masks) = Flip(images, targets, masks);
        if (_options.Scale > 0 || _options.Translate > 0)
            (images, targets, masks) = ZoomAndShift(images, targets, masks);
        if (_options.Hue > 0 || _options.Saturation > 0 || _options.Value > 0)
            images = JitterHsv(images);
        return new DetectionBatch(images, targets, batch.Rows, masks);
    }

    /// <summary>
    /// Masks <c>[T, S, S]</c> resampled through one affine map per mask (<paramref name="theta"/> <c>[T, 2, 3]</c>, from output
    /// to input in <c>affine_grid</c>'s [-1, 1] units, as the images are), kept where the sample is at least half object;
    /// outside the source image is background. An integer shift with nearest sampling moves the pixels exactly.
    /// </summary>
    private Tensor ResampleMasks(Tensor masks, Tensor theta, GridSampleMode mode)
    {
        long count = masks.shape[0];
        if (count == 0)
            return masks;
        var grid = nn.functional.affine_grid(theta, new long[] { count, 1, _size, _size }, align_corners: false);
        var sampled = nn.functional.grid_sample(masks.unsqueeze(1).to_type(ScalarType.Float32), grid, mode, GridSamplePaddingMode.Zeros, align_corners: false);
        return (sampled.squeeze(1) >= 0.5f).to_type(masks.dtype);
    }

    /// <summary>Affine maps <c>[T, 2, 3]</c> that shift each mask by (dx, dy) pixels (output = input + shift).</summary>
    private Tensor Shifts(Tensor dx, Tensor dy)
    {
        var ones = torch.ones_like(dx);
        var zeros = torch.zeros_like(dx);
        return torch.stack(new[] { ones, zeros, -2 * dx / _size, zeros, ones, -2 * dy / _size }, 1).view(-1, 2, 3);
    }

    /// <summary>Uniform draws in [-1, 1], one per image, on the images' device.</summary>
    private static Tensor Symmetric(long n, Device device) => torch.rand(n).mul_(2).sub_(1).to(device);

    /// <summary>
    /// YOLOv5's mosaic: the image and three others of the batch, at full size, tile a canvas twice the side, and a
    /// window of the image's size at a random position of it is kept, so objects keep their scale and those the
    /// window cuts are clipped (and dropped below <see cref="DetectionAugmentationOptions.MinVisibleArea"/>).
    /// </summary>
    private (Tensor Images, Tensor Targets, Tensor? Masks) Mosaic(Tensor images, Tensor targets, Tensor? masks)
    {
        long n = images.shape[0];
        var device = images.device;
        var chosen = (torch.rand(n) < _options.Mosaic).data<bool>().ToArray();
        var others = Enumerable.Range(0, 3).Select(_ => torch.randperm(n)).ToArray();
        var partners = others.Select(o => o.data<long>().ToArray()).ToArray();
        var windows = torch.randint(0, _size + 1, new long[] { n, 2 });
        var corner = windows.data<long>().ToArray();

        var outputs = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            if (!chosen[i])
            {
                outputs[i] = images[i];
                continue;
            }
            var top = torch.cat(new[] { images[i], images[partners[0][i]] }, 2);
            var bottom = torch.cat(new[] { images[partners[1][i]], images[partners[2][i]] }, 2);
            long x = corner[2 * i], y = corner[2 * i + 1];
            outputs[i] = torch.cat(new[] { top, bottom }, 1).narrow(1, y, _size).narrow(2, x, _size);
        }
        var mixed = torch.stack(outputs);

        var chosenOnDevice = torch.tensor(chosen, device: device);
        var window = windows.to_type(ScalarType.Float32).to(device).repeat(1, 2);
        var image = targets[.., 0].to_type(ScalarType.Int64);
        var own = chosenOnDevice.index_select(0, image);
        var parts = new List<Tensor> { targets[own.logical_not()] };
        var maskParts = masks is null ? null : new List<Tensor> { masks[own.logical_not()] };
        var quadrants = new (float X, float Y)[] { (0, 0), (_size, 0), (0, _size), (_size, _size) };
        for (int q = 0; q < 4; q++)
        {
            // Quadrant q > 0 of mosaic i shows image others[q - 1][i]: its objects move to inverse(others[q - 1])[their image].
            var destination = q == 0 ? image : torch.argsort(others[q - 1]).to(device).index_select(0, image);
            var keep = chosenOnDevice.index_select(0, destination);
            var shift = torch.tensor(new[] { quadrants[q].X, quadrants[q].Y, quadrants[q].X, quadrants[q].Y }, device: device);
            var offset = shift - window.index_select(0, destination);
            var boxes = targets[.., 2..] + offset;
            var rows = torch.cat(new[] { destination.to_type(ScalarType.Float32).unsqueeze(1), targets[.., 1..2], boxes }, 1);
            var (visibleRows, visible) = KeepVisible(rows[keep]);
            parts.Add(visibleRows);
            if (maskParts is not null)
            {
                // Only the masks of the boxes kept are moved.
                var moved = offset[keep][visible];
                maskParts.Add(ResampleMasks(masks![keep][visible], Shifts(moved[.., 0], moved[.., 1]), GridSampleMode.Nearest));
            }
        }
        return (mixed, torch.cat(parts, 0), maskParts is null ? null : torch.cat(maskParts, 0));
    }

    /// <summary>
    /// Simple copy-paste (Ghiasi et al., 2021): with probability <see cref="DetectionAugmentationOptions.CopyPaste"/>, image i
    /// receives the objects of its partner, the next image in a random cycle through the batch (never itself), each cut by
    /// its mask and pasted where it was, unless its box covers <see cref="CopyPasteMaxCover"/> or more of an object of image
    /// i. The covered pixels leave the masks of image i's objects; their boxes stay, as in Ultralytics.
    /// </summary>
    private (Tensor Images, Tensor Targets, Tensor Masks) CopyPaste(Tensor images, Tensor targets, Tensor masks)
    {
        long n = images.shape[0];
        var device = images.device;
        var chosen = (torch.rand(n) < _options.CopyPaste).to(device);
        // A random cycle: image order[k] takes the objects of order[k + 1], so image order[k + 1] gives to order[k].
        var order = torch.randperm(n);
        var position = torch.argsort(order);
        var giver = order.roll(-1).index_select(0, position).to(device);
        var receiver = order.roll(1).index_select(0, position).to(device);

        var source = targets[.., 0].to_type(ScalarType.Int64);
        var destination = receiver.index_select(0, source);
        var boxes = targets[.., 2..];
        // cover[t, e]: the share of object e's box that object t's box covers; only e of t's destination count.
        var cover = BoxIou.PairwiseIntersection(boxes, boxes) / BoxIou.Area(boxes).clamp_min(1e-6f).unsqueeze(0);
        var blocked = ((cover >= CopyPasteMaxCover) & (destination.unsqueeze(1) == source.unsqueeze(0))).any(1);
        var pasted = (chosen.index_select(0, destination) & blocked.logical_not()).nonzero().squeeze(1);
        if (pasted.shape[0] == 0)
            return (images, targets, masks);

        var pastedMasks = masks.index_select(0, pasted);
        var pastedDestination = destination.index_select(0, pasted);
        // Which pixels of each image receive a pasted object: the union of its pasted masks, as a product with a one-hot map.
        var receives = (torch.arange(n, device: device).unsqueeze(1) == pastedDestination.unsqueeze(0)).to_type(ScalarType.Float32);
        var covered = receives.mm(pastedMasks.to_type(ScalarType.Float32).view(pastedMasks.shape[0], -1)).view(n, _size, _size) > 0;
        var result = torch.where(covered.unsqueeze(1), images.index_select(0, giver), images);
        var uncovered = masks * covered.index_select(0, source).logical_not().to_type(masks.dtype);
        var rows = torch.cat(new[] { pastedDestination.to_type(ScalarType.Float32).unsqueeze(1), targets.index_select(0, pasted)[.., 1..] }, 1);
        return (result, torch.cat(new[] { targets, rows }, 0), torch.cat(new[] { uncovered, pastedMasks }, 0));
    }

    /// <summary>
    /// Target rows <c>[T, 6]</c> whose boxes may reach outside the image: boxes clipped to it, and dropped when the clipped
    /// box is thinner than <see cref="MinBoxSide"/> or keeps less than <see cref="DetectionAugmentationOptions.MinVisibleArea"/> of its area.
    /// Returns the rows kept and which they were (<c>[T]</c> booleans, for the masks).
    /// </summary>
    private (Tensor Rows, Tensor Keep) KeepVisible(Tensor rows)
    {
        var boxes = rows[.., 2..];
        var clipped = boxes.clamp(0, _size);
        var area = (boxes[.., 2] - boxes[.., 0]) * (boxes[.., 3] - boxes[.., 1]);
        var width = clipped[.., 2] - clipped[.., 0];
        var height = clipped[.., 3] - clipped[.., 1];
        var keep = (width >= MinBoxSide) & (height >= MinBoxSide) & (width * height >= area * (float)_options.MinVisibleArea);
        return (torch.cat(new[] { rows[.., ..2], clipped }, 1)[keep], keep);
    }

    private (Tensor Images, Tensor Targets, Tensor? Masks) Flip(Tensor images, Tensor targets, Tensor? masks)
    {
        long n = images.shape[0];
        var flipped = (torch.rand(n) < _options.HorizontalFlip).to(images.device);
        var result = torch.where(flipped.view(n, 1, 1, 1), images.flip(3), images);
        var own = flipped.index_select(0, targets[.., 0].to_type(ScalarType.Int64));
        var x0 = torch.where(own, _size - targets[.., 4], targets[.., 2]);
        var x1 = torch.where(own, _size - targets[.., 2], targets[.., 4]);
        var moved = torch.stack(new[] { targets[.., 0], targets[.., 1], x0, targets[.., 3], x1, targets[.., 5] }, 1);
        return (result, moved, masks is null ? null : torch.where(own.view(-1, 1, 1), masks.flip(2), masks));
    }

    private (Tensor Images, Tensor Targets, Tensor? Masks) ZoomAndShift(Tensor images, Tensor targets, Tensor? masks)
    {
        long n = images.shape[0];
        var device = images.device;
        var scale = Symmetric(n, device).mul_(_options.Scale).add_(1);
        var shiftX = Symmetric(n, device).mul_(_options.Translate * _size);
        var shiftY = Symmetric(n, device).mul_(_options.Translate * _size);

        // Output pixel p = s (q - S/2) + S/2 + t of input pixel q; affine_grid wants the inverse in [-1, 1] units.
        var inverse = scale.reciprocal();
        var zeros = torch.zeros_like(scale);
        var theta = torch.stack(new[]
        {
            inverse, zeros, -2 * shiftX / _size * inverse,
            zeros, inverse, -2 * shiftY / _size * inverse,
        }, 1).view(n, 2, 3);
        var grid = nn.functional.affine_grid(theta, new long[] { n, 3, _size, _size }, align_corners: false);
        var warped = nn.functional.grid_sample(images - Fill, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false) + Fill;

        var image = targets[.., 0].to_type(ScalarType.Int64);
        var s = scale.index_select(0, image).unsqueeze(1);
        var t = torch.stack(new[] { shiftX, shiftY, shiftX, shiftY }, 1).index_select(0, image);
        var boxes = (targets[.., 2..] - _size / 2f) * s + _size / 2f + t;
        var (rows, keep) = KeepVisible(torch.cat(new[] { targets[.., ..2], boxes }, 1));
        // Each mask through its image's map, bilinear like the pixels, then halved at 0.5.
        return (warped, rows, masks is null ? null : ResampleMasks(masks[keep], theta.index_select(0, image)[keep], GridSampleMode.Bilinear));
    }

    /// <summary>Turns the hue and scales saturation and value of each image by its own random gains.</summary>
    private Tensor JitterHsv(Tensor images)
    {
        long n = images.shape[0];
        var device = images.device;
        var hueShift = Symmetric(n, device).mul_(_options.Hue).view(n, 1, 1);
        var saturationGain = Symmetric(n, device).mul_(_options.Saturation).add_(1).view(n, 1, 1);
        var valueGain = Symmetric(n, device).mul_(_options.Value).add_(1).view(n, 1, 1);

        var (r, g, b) = (images[.., 0], images[.., 1], images[.., 2]);
        var max = images.amax(1);
        var min = images.amin(1);
        var delta = max - min;
        var safeDelta = delta.clamp_min(1e-8f);
        var hue = torch.where(max == r, (g - b) / safeDelta,
            torch.where(max == g, (b - r) / safeDelta + 2, (r - g) / safeDelta + 4));
        hue = torch.where(delta > 0, hue / 6, torch.zeros_like(hue)).remainder(1);
        var saturation = torch.where(max > 0, delta / max.clamp_min(1e-8f), torch.zeros_like(max));

        hue = (hue + hueShift).remainder(1);
        saturation = (saturation * saturationGain).clamp(0, 1);
        var value = (max * valueGain).clamp(0, 1);

        // HSV to RGB without branches: channel(n) = v - v s clamp(min(k, 4 - k), 0, 1), k = (n + 6h) mod 6.
        Tensor Channel(float offset)
        {
            var k = (hue * 6 + offset).remainder(6);
            return value - value * saturation * torch.minimum(k, 4 - k).clamp(0, 1);
        }
        return torch.stack(new[] { Channel(5), Channel(3), Channel(1) }, 1);
    }
}
