using System.Runtime.InteropServices;
using global::Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// Rewrites a graph exported for one image size so that it runs at another, which fine-tuning a pretrained network on
/// smaller images needs (a 224×224 ResNet costs three times what it costs at 128×128).
/// </summary>
/// <remarks>
/// Exporters bake the image size into constants: an average pool whose window is the whole last feature map
/// (ResNet18.onnx's 7×7 pool), a mean image to subtract (the ResNet18 package's preprocessing graph). The rewrite keeps
/// what they mean at the new size: a max or average pool without padding whose window covers its whole input at the
/// declared size becomes the global pool, and a float initializer whose last two dimensions are the declared input's
/// height and width is resampled to the new ones (area averaging where it shrinks, bilinear where it grows), as the
/// images are. The declared input size changes and stale intermediate shapes (<c>value_info</c>) are dropped. Nothing
/// else changes: explicit pads computed for the declared size stay, so a size that the graph's strides do not divide
/// fails when the graph first runs, naming the node whose shapes do not fit.
/// </remarks>
internal static class InputSizeRetargeting
{
    /// <summary>
    /// The graph declared for <c>[N, C, H0, W0]</c> images rewritten for <paramref name="height"/> × <paramref name="width"/>;
    /// <paramref name="model"/> itself when its declared size is that already or is not a fixed 4-D image size.
    /// </summary>
    /// <param name="model">The graph; its initializers may lack their data (a structure saved without weights).</param>
    /// <param name="height">The images' height in pixels.</param>
    /// <param name="width">The images' width in pixels.</param>
    /// <param name="source">Names the graph in messages.</param>
    public static ModelProto Retarget(ModelProto model, long height, long width, string source)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"The image size must be positive, got {height}×{width}.");
        // Read from the proto, so that the common case (images of the declared size) imports nothing.
        var declaredInput = OnnxGraphModule.DeclaredInput(model.Graph, source);
        var declared = OnnxGraphModule.DeclaredShape(declaredInput);
        if (declared.Length != 4 || declared[1] <= 0 || declared[2] <= 0 || declared[3] <= 0 || (declared[2] == height && declared[3] == width))
            return model;
        long declaredHeight = declared[2], declaredWidth = declared[3];

        using var probe = OnnxGraphModule.FromModelOutputs(model, source, model.Graph.Output.Select(o => o.Name).ToArray(), allowMissingData: true);

        Dictionary<string, long[]> shapes;
        using (var zeros = torch.zeros(1, declared[1], declaredHeight, declaredWidth))
            shapes = probe.ValueShapes(zeros);

        var copy = model.Clone();
        foreach (var node in copy.Graph.Node.Where(n => n.OpType is "AveragePool" or "MaxPool"))
        {
            if (node.Input.Count > 0 && shapes.TryGetValue(node.Input[0], out var shape) && CoversWholeInput(node, shape))
            {
                node.OpType = "Global" + node.OpType;
                node.Attribute.Clear();
            }
        }
        foreach (var tensor in copy.Graph.Initializer)
        {
            int rank = tensor.Dims.Count;
            if (rank >= 2 && tensor.DataType == (int)TensorProto.Types.DataType.Float
                && tensor.Dims[rank - 2] == declaredHeight && tensor.Dims[rank - 1] == declaredWidth)
                Resample(tensor, height, width, source);
        }
        var input = copy.Graph.Input.Single(i => i.Name == declaredInput.Name);
        var dims = input.Type.TensorType.Shape.Dim;
        dims[2].DimValue = height;
        dims[3].DimValue = width;
        copy.Graph.ValueInfo.Clear();
        return copy;
    }

    /// <summary>Whether the pool's window is its whole (unpadded) input, so that its output is the input's global pool.</summary>
    private static bool CoversWholeInput(NodeProto node, long[] inputShape)
    {
        if (inputShape.Length != 4)
            return false;
        var attributes = node.Attribute.ToDictionary(a => a.Name, StringComparer.Ordinal);
        var kernel = attributes.TryGetValue("kernel_shape", out var k) ? k.Ints.ToArray() : Array.Empty<long>();
        bool unpadded = !attributes.TryGetValue("pads", out var pads) || pads.Ints.All(p => p == 0);
        string autoPad = attributes.TryGetValue("auto_pad", out var a) ? a.S.ToStringUtf8() : "NOTSET";
        bool dilated = attributes.TryGetValue("dilations", out var d) && d.Ints.Any(v => v != 1);
        return kernel.Length == 2 && kernel[0] == inputShape[2] && kernel[1] == inputShape[3]
            && unpadded && autoPad is "NOTSET" or "VALID" or "" && !dilated;
    }

    /// <summary>Resamples the last two dimensions of a float initializer in place (only its shape, when it has no data).</summary>
    private static void Resample(TensorProto tensor, long height, long width, string source)
    {
        var dims = tensor.Dims.ToArray();
        bool hasData = !tensor.RawData.IsEmpty || tensor.FloatData.Count > 0;
        var values = hasData ? OnnxTensorData.Read(tensor, source).AsFloat(source) : null;
        tensor.Dims[dims.Length - 2] = height;
        tensor.Dims[dims.Length - 1] = width;
        if (values is null)
            return;

        using var scope = torch.NewDisposeScope();
        var resized = ResamplePlanes(torch.tensor(values, dims), height, width);
        tensor.FloatData.Clear();
        tensor.RawData = Google.Protobuf.ByteString.CopyFrom(MemoryMarshal.AsBytes(resized.data<float>().ToArray().AsSpan()));
    }

    /// <summary>
    /// <paramref name="image"/> (any leading dimensions, then height and width) resampled to <paramref name="height"/> ×
    /// <paramref name="width"/>: area averaging where both shrink, bilinear otherwise.
    /// </summary>
    public static Tensor ResamplePlanes(Tensor image, long height, long width)
    {
        var shape = image.shape;
        long declaredHeight = shape[^2], declaredWidth = shape[^1];
        var planar = image.reshape(1, -1, declaredHeight, declaredWidth);
        var resized = height <= declaredHeight && width <= declaredWidth
            ? nn.functional.interpolate(planar, new[] { height, width }, mode: InterpolationMode.Area)
            : nn.functional.interpolate(planar, new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.reshape(shape.SkipLast(2).Append(height).Append(width).ToArray()).contiguous();
    }
}
