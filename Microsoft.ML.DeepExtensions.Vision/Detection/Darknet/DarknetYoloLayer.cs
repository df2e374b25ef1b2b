using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[yolo]</c>: a detection head without weights. The network passes its input on unchanged and returns it from
/// <see cref="DarknetNetwork.forward"/>: Darknet applies the logistic function to x, y, objectness and classes here,
/// which <see cref="YoloLayerDecoder"/> does (and a loss may do in a numerically stabler form).
/// </summary>
public sealed class DarknetYoloLayer : DarknetLayer
{
    internal DarknetYoloLayer(int index, DarknetSection section, DarknetShape input, DarknetYoloSettings settings)
        : base("DarknetYolo", index, section, input)
    {
        if (input.Channels != settings.Channels)
        {
            throw section.Error(
                $"expects {settings.Mask.Count} anchors x ({settings.Classes} classes + 5) = {settings.Channels} input channels, but the previous layer outputs {input.Channels}; set filters={settings.Channels} on the convolution before it.");
        }

        Settings = settings;
    }

    /// <summary>What the section says.</summary>
    public DarknetYoloSettings Settings { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs) => input.alias();
}
