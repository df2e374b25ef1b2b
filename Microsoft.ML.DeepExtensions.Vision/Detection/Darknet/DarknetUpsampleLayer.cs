using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary><c>[upsample]</c>: nearest-neighbour upsampling by <c>stride</c> (default 2), times <c>scale</c> (default 1).</summary>
public sealed class DarknetUpsampleLayer : DarknetLayer
{
    internal DarknetUpsampleLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetUpsample", index, section, OutputOf(section, input))
    {
        Stride = section.GetInt("stride", 2);
        Scale = section.GetFloat("scale", 1f);
    }

    /// <summary>The upsampling factor.</summary>
    public int Stride { get; }

    /// <summary>The factor the values are multiplied by.</summary>
    public float Scale { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        var upsampled = nn.functional.interpolate(input, scale_factor: new double[] { Stride, Stride }, mode: InterpolationMode.Nearest);
        if (Scale == 1f)
            return upsampled;
        using (upsampled)
            return upsampled.mul(Scale);
    }

    private static DarknetShape OutputOf(DarknetSection section, DarknetShape input)
    {
        int stride = section.GetInt("stride", 2);
        if (stride < 1)
            throw section.Error("stride", $"'stride' must be at least 1 (a negative stride, Darknet's downsampling, is not supported), got {stride}.");
        return new DarknetShape(input.Channels, input.Height * stride, input.Width * stride);
    }
}
