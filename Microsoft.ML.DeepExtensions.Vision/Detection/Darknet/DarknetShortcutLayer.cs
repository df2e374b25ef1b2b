using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[shortcut]</c>: a residual connection, <c>activation(alpha·x + beta·from)</c> where x is the previous layer's
/// output and <c>from=</c> names an earlier layer (negative: relative). Defaults: alpha = beta = 1, linear activation.
/// </summary>
/// <remarks>
/// As Darknet's <c>shortcut_cpu</c>, the two outputs may differ in size (Darknet's ResNet cfgs rely on it): the
/// first <c>min(C)</c> channels are combined, the larger map is subsampled by the integer size ratio, and channels or
/// positions the smaller map does not reach keep x unchanged (not scaled by alpha, as in Darknet).
/// </remarks>
public sealed class DarknetShortcutLayer : DarknetLayer
{
    private readonly int[] _sources;
    private readonly int _stride;
    private readonly int _sample;
    private readonly DarknetShape _from;
    private readonly Func<Tensor, Tensor> _activation;

    internal DarknetShortcutLayer(int index, DarknetSection section, IReadOnlyList<DarknetShape> shapes)
        : base("DarknetShortcut", index, section, shapes[index - 1 < 0 ? throw section.Error("cannot be the first layer.") : index - 1])
    {
        var from = section.GetInts("from") ?? throw section.Error("needs 'from=' (the layer it adds).");
        if (from.Length != 1)
            throw section.Error("from", $"'from' must name one layer, got '{section.Get("from")}'.");
        _sources = new[] { ResolveIndex(index, section, "from", from[0]) };
        _from = shapes[_sources[0]];
        Alpha = section.GetFloat("alpha", 1f);
        Beta = section.GetFloat("beta", 1f);
        (ActivationName, _activation) = DarknetActivation.Read(section, "linear");

        // shortcut_cpu: stride subsamples `from`, sample spreads it over x; both must be whole ratios.
        var x = OutputShape;
        _stride = Math.Max(1, _from.Width / x.Width);
        _sample = Math.Max(1, x.Width / _from.Width);
        if (_stride != Math.Max(1, _from.Height / x.Height) || _sample != Math.Max(1, x.Height / _from.Height))
            throw section.Error("from", $"layer {_sources[0]} outputs {_from}, which does not scale evenly onto the previous layer's {x}.");
    }

    /// <inheritdoc/>
    public override IReadOnlyList<int> Sources => _sources;

    /// <summary>The factor of the previous layer's output.</summary>
    public float Alpha { get; }

    /// <summary>The factor of the <c>from</c> layer's output.</summary>
    public float Beta { get; }

    /// <summary>The activation's Darknet name.</summary>
    public string ActivationName { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        using var scope = NewDisposeScope();
        var from = outputs[_sources[0]]!;
        var add = Beta == 1f ? from : from.mul(Beta);
        Tensor sum;
        if (_from == OutputShape)
        {
            sum = (Alpha == 1f ? input : input.mul(Alpha)).add(add);
        }
        else
        {
            var target = OutputShape;
            int channels = Math.Min(target.Channels, _from.Channels);
            int height = Math.Min(target.Height, _from.Height);
            int width = Math.Min(target.Width, _from.Width);
            var picked = add.narrow(1, 0, channels)[TensorIndex.Colon, TensorIndex.Colon,
                TensorIndex.Slice(0, height * _stride, _stride), TensorIndex.Slice(0, width * _stride, _stride)];
            picked = picked.narrow(2, 0, height).narrow(3, 0, width);
            // Where x and from overlap, out = alpha·x + beta·from; elsewhere out = x. Built as x + a correction that is
            // zero outside the overlap, out of place so that autograd sees it.
            var overlap = (TensorIndex.Slice(0, height * _sample, _sample), TensorIndex.Slice(0, width * _sample, _sample));
            var correction = zeros_like(input);
            var xOverlap = input.narrow(1, 0, channels)[TensorIndex.Colon, TensorIndex.Colon, overlap.Item1, overlap.Item2];
            correction.narrow(1, 0, channels)[TensorIndex.Colon, TensorIndex.Colon, overlap.Item1, overlap.Item2] =
                Alpha == 1f ? picked : xOverlap.mul(Alpha - 1f).add(picked);
            sum = input.add(correction);
        }

        return _activation(sum).MoveToOuterDisposeScope();
    }

    /// <summary>A <c>[route]</c>/<c>[shortcut]</c> layer reference: negative values count back from <paramref name="index"/>.</summary>
    internal static int ResolveIndex(int index, DarknetSection section, string key, int value)
    {
        int resolved = value < 0 ? index + value : value;
        if (resolved < 0 || resolved >= index)
            throw section.Error(key, $"'{key}' refers to layer {value} (= {resolved}), which is not an earlier layer of layer {index}.");
        return resolved;
    }
}
