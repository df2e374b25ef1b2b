using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[crop]</c>: the centre <c>crop_height x crop_width</c> window, with values mapped from [0, 1] to [-1, 1]
/// (<c>2x - 1</c>) unless <c>noadjust=1</c>, as Darknet scores (<c>forward_crop_layer</c> with <c>train = 0</c>).
/// </summary>
/// <remarks>
/// While training Darknet picks a random window and may flip it: that is data augmentation, which this project does
/// in its data path, so training also takes the centre window here.
/// </remarks>
public sealed class DarknetCropLayer : DarknetLayer
{
    private readonly int _top;
    private readonly int _left;

    internal DarknetCropLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetCrop", index, section, OutputOf(section, input))
    {
        _top = (input.Height - OutputShape.Height) / 2;
        _left = (input.Width - OutputShape.Width) / 2;
        Adjust = section.GetInt("noadjust", 0) == 0;
    }

    /// <summary>Whether values are mapped from [0, 1] to [-1, 1].</summary>
    public bool Adjust { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        using var window = input.narrow(2, _top, OutputShape.Height).narrow(3, _left, OutputShape.Width);
        return Adjust ? window.mul(2f).sub_(1f) : window.contiguous();
    }

    private static DarknetShape OutputOf(DarknetSection section, DarknetShape input)
    {
        int height = section.GetInt("crop_height", 1);
        int width = section.GetInt("crop_width", 1);
        if (height < 1 || height > input.Height)
            throw section.Error("crop_height", $"'crop_height' must be in [1, {input.Height}] (the input height), got {height}.");
        if (width < 1 || width > input.Width)
            throw section.Error("crop_width", $"'crop_width' must be in [1, {input.Width}] (the input width), got {width}.");
        return new DarknetShape(input.Channels, height, width);
    }
}
