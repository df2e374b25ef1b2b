using Microsoft.ML.DeepExtensions.Vision.Onnx.Import;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// The module of an <see cref="OnnxBackbone"/>: pixels × <c>PixelScale</c>, the fixed preprocessing graph,
/// the imported backbone, flattened, then a fully connected head (one logit per class), or no head when the
/// graph already gives the class scores.
/// </summary>
internal sealed class OnnxBackboneNetwork : nn.Module<Tensor, Tensor>
{
    public OnnxBackboneNetwork(float pixelScale, OnnxGraphModule? preprocessing, OnnxGraphModule backbone, Linear? head)
        : base(nameof(OnnxBackboneNetwork))
    {
        PixelScale = pixelScale;
        Preprocessing = preprocessing;
        Backbone = backbone;
        Head = head;
        if (preprocessing is not null)
        {
            // The preprocessing (a mean image, a channel swap) is part of the input, not something to learn.
            foreach (var parameter in preprocessing.parameters())
                parameter.requires_grad = false;
            register_module("preprocessing", preprocessing);
        }
        register_module("backbone", backbone);
        if (head is not null)
            register_module("head", head);
    }

    public float PixelScale { get; }

    public OnnxGraphModule? Preprocessing { get; }

    public OnnxGraphModule Backbone { get; }

    public Linear? Head { get; }

    /// <summary>The backbone's features for a batch of [0, 1] pixels, flattened to [N, F].</summary>
    public Tensor Features(Tensor input)
    {
        var x = PixelScale == 1 ? input : input * PixelScale;
        if (Preprocessing is not null)
            x = Preprocessing.call(x);
        return Backbone.call(x).flatten(1);
    }

    public override Tensor forward(Tensor input) => Head is null ? Features(input) : Head.call(Features(input));
}
