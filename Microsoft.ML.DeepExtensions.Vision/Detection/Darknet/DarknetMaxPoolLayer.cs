using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[maxpool]</c> with Darknet's geometry (<c>maxpool_layer.c</c>), which PyTorch's symmetric padding cannot express:
/// <c>padding</c> defaults to <c>size - 1</c>, the output is <c>(W + padding - size) / stride + 1</c>, and windows start at
/// <c>-padding/2</c>, so the extra rows and columns fall mostly on the right and bottom. Out-of-image cells never win
/// (Darknet gives them <c>-FLT_MAX</c>). YOLOv3-tiny's <c>size=2 stride=1</c> pooling keeps the 13 x 13 grid this way.
/// </summary>
public sealed class DarknetMaxPoolLayer : DarknetLayer
{
    private readonly long[] _pad;

    internal DarknetMaxPoolLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetMaxPool", index, section, OutputOf(section, input))
    {
        Stride = section.GetInt("stride", 1);
        Size = section.GetInt("size", Stride);
        Padding = section.GetInt("padding", Size - 1);
        // Window j covers input columns [j·stride - padding/2, j·stride - padding/2 + size); pad (or cut) so the
        // last window ends exactly at the padded edge.
        int left = Padding / 2;
        int right = (OutputShape.Width - 1) * Stride + Size - input.Width - left;
        int bottom = (OutputShape.Height - 1) * Stride + Size - input.Height - left;
        _pad = new long[] { left, right, left, bottom };
    }

    /// <summary>Window size (<c>size=</c>; Darknet's default: the stride).</summary>
    public int Size { get; }

    /// <summary>Stride (<c>stride=</c>; default 1).</summary>
    public int Stride { get; }

    /// <summary>Total padding per axis (<c>padding=</c>; default <c>size - 1</c>).</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        if (_pad.All(p => p == 0))
            return nn.functional.max_pool2d(input, Size, Stride);
        using var scope = torch.NewDisposeScope();
        // A negative amount crops: F.pad takes it as such.
        var padded = nn.functional.pad(input, _pad, PaddingModes.Constant, double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, Size, Stride).MoveToOuterDisposeScope();
    }

    private static DarknetShape OutputOf(DarknetSection section, DarknetShape input)
    {
        int stride = section.GetInt("stride", 1);
        int size = section.GetInt("size", stride);
        int padding = section.GetInt("padding", size - 1);
        if (stride < 1)
            throw section.Error("stride", $"'stride' must be at least 1, got {stride}.");
        if (size < 1)
            throw section.Error("size", $"'size' must be at least 1, got {size}.");
        if (padding < 0 || padding / 2 >= size)
            throw section.Error("padding", $"'padding' must be in [0, 2·size - 1], got {padding}.");
        if (input.Width + padding < size || input.Height + padding < size)
            throw section.Error($"input {input} is smaller than the {size}x{size} window with padding {padding}.");
        return new DarknetShape(input.Channels, (input.Height + padding - size) / stride + 1, (input.Width + padding - size) / stride + 1);
    }
}
