using Microsoft.ML.DeepExtensions.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// A residual block (ResNet's "skip connection"): the input is added to the output of a few layers,
/// so they learn a correction <c>F(x)</c> to the identity, and the sum goes through an activation.
/// When the layers change the shape (a stride or more channels), a <c>downsample</c> shortcut (a 1×1
/// convolution and batch normalization) brings the input to the same shape.
/// </summary>
/// <remarks>
/// Formula: <c>y = act(F(x) + shortcut(x))</c>, <c>shortcut</c> the identity or the downsample layers.
/// Module names follow torchvision: the residual layers directly under the block (<c>conv1</c>,
/// <c>bn1</c>, …), then <c>downsample</c> and <c>relu</c>. Weights: those of both paths.
/// Paper: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016.
/// </remarks>
public sealed class ResidualBlock : Layer
{
    private const string ShortcutName = "downsample";
    private const string ActivationName = "relu";

    /// <param name="residual">The layers computing <c>F(x)</c>.</param>
    /// <param name="shortcut">Layers bringing <c>x</c> to <c>F(x)</c>'s shape; null for the identity. Defaults to null.</param>
    /// <param name="activation">Applied to the sum. Defaults to ReLU.</param>
    /// <param name="kind">What summaries call the block, e.g. <c>BasicBlock</c> or <c>Bottleneck</c>. Defaults to <c>ResidualBlock</c>.</param>
    public ResidualBlock(LayerStack residual, LayerStack? shortcut = null, Activation? activation = null, string kind = "ResidualBlock")
    {
        Residual = residual ?? throw new ArgumentNullException(nameof(residual));
        if (residual.Layers.Any(l => l.Name is ShortcutName or ActivationName))
            throw new ArgumentException($"The residual layers cannot be named '{ShortcutName}' or '{ActivationName}': the block uses those names.", nameof(residual));
        Shortcut = shortcut;
        Activation = activation ?? Activations.Activations.ReLU;
        Kind = kind;
    }

    public LayerStack Residual { get; }

    public LayerStack? Shortcut { get; }

    public Activation Activation { get; }

    public string Kind { get; }

    /// <inheritdoc/>
    public override string Description => $"{Kind} with {(Shortcut is null ? "identity" : "downsample")} shortcut";

    private protected override string TypeName => Kind;

    internal override long[] Trace(ShapeTrace trace, string path, long[] input, int depth)
    {
        var group = trace.BeginGroup(path, Kind, depth, collapse: true);
        var residual = Residual.TraceLayers(trace, path, input, depth);
        var shortcut = Shortcut?.Trace(trace, ChildPath(path, ShortcutName), input, depth + 1) ?? input;
        if (!residual.SequenceEqual(shortcut))
            throw trace.Refuse(group, this, $"cannot add its paths: the residual layers give {ImageShape.Tuple(residual)} but the shortcut gives {ImageShape.Tuple(shortcut)}");
        trace.EndGroup(group, residual);
        return residual;
    }

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) =>
        new ResidualModule(Residual.CreateModules(input, device), Shortcut?.CreateModule(input, device), Activation.CreateModule(), Kind);

    private sealed class ResidualModule : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor>[] _residual;
        private readonly nn.Module<Tensor, Tensor>? _shortcut;
        private readonly nn.Module<Tensor, Tensor> _activation;

        public ResidualModule(List<(string Name, nn.Module<Tensor, Tensor> Module)> residual, nn.Module<Tensor, Tensor>? shortcut, nn.Module<Tensor, Tensor> activation, string kind)
            : base(kind)
        {
            _residual = residual.Select(r => r.Module).ToArray();
            foreach (var (name, module) in residual)
                register_module(name, module);
            _shortcut = shortcut;
            if (shortcut is not null)
                register_module(ShortcutName, shortcut);
            _activation = activation;
            register_module(ActivationName, activation);
        }

        public override Tensor forward(Tensor input)
        {
            var x = input;
            foreach (var layer in _residual)
                x = layer.call(x);
            var sum = x + (_shortcut?.call(input) ?? input);
            return _activation.call(sum);
        }
    }
}
