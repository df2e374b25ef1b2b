using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A convolution preceded by uneven zero padding (left, right, top, bottom). Owns the convolution's
/// <c>weight</c> and <c>bias</c> directly, so its state names are those of a plain <c>Conv2d</c>.
/// </summary>
internal sealed class PaddedConvolutionModule : nn.Module<Tensor, Tensor>
{
    private readonly long[] _padding;
    private readonly long _stride;
    private readonly long _dilation;
    private readonly Parameter _weight;
    private readonly Parameter? _bias;

    public PaddedConvolutionModule(Conv2d convolution, long[] padding, long stride, long dilation)
        : base("Conv2d")
    {
        _padding = padding;
        _stride = stride;
        _dilation = dilation;
        _weight = convolution.weight!;
        _bias = convolution.bias;
        register_parameter("weight", _weight);
        if (_bias is not null)
            register_parameter("bias", _bias);
    }

    public override Tensor forward(Tensor input)
    {
        using var padded = nn.functional.pad(input, _padding);
        return nn.functional.conv2d(padded, _weight, _bias, strides: new[] { _stride, _stride }, dilation: new[] { _dilation, _dilation });
    }
}
