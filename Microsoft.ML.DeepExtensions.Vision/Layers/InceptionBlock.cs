using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Layers;

/// <summary>
/// An inception module (GoogLeNet): parallel branches see the same input (cheat sheet: "four parallel
/// channels in each inception module"), and their outputs are concatenated along the channels.
/// </summary>
/// <remarks>
/// Formula: <c>y = concat_channels(b_1(x), …, b_k(x))</c>; every branch must keep the same height and
/// width. Weights: those of the branches.
/// Paper: Szegedy et al., "Going Deeper with Convolutions", CVPR 2015.
/// </remarks>
public sealed class InceptionBlock : Layer
{
    private readonly (string Name, Layer Branch)[] _branches;

    /// <param name="branches">The branches, each with a unique name without dots (torchvision: <c>branch1</c> … <c>branch4</c>).</param>
    public InceptionBlock(params (string Name, Layer Branch)[] branches)
    {
        if (branches.Length < 2)
            throw new ArgumentException($"An inception block needs at least 2 branches, got {branches.Length}.", nameof(branches));
        var names = new List<string>();
        foreach (var (name, branch) in branches)
        {
            LayerStack.CheckName(name, names);
            ArgumentNullException.ThrowIfNull(branch, nameof(branches));
            names.Add(name);
        }
        _branches = branches.ToArray();
    }

    public IReadOnlyList<(string Name, Layer Branch)> Branches => _branches;

    /// <inheritdoc/>
    public override string Description => $"inception block of {_branches.Length} branches";

    private protected override string TypeName => "Inception";

    internal override long[] Trace(ShapeTrace trace, string path, long[] input, int depth)
    {
        var group = trace.BeginGroup(path, TypeName, depth, collapse: true);
        var outputs = _branches.Select(b => (b.Name, Shape: b.Branch.Trace(trace, ChildPath(path, b.Name), input, depth + 1))).ToArray();
        foreach (var (name, shape) in outputs)
        {
            if (shape.Length != 3 || shape[1] != outputs[0].Shape[1] || shape[2] != outputs[0].Shape[2])
                throw trace.Refuse(group, this, $"cannot concatenate its branches: {outputs[0].Name} gives {ImageShape.Tuple(outputs[0].Shape)} but {name} gives {ImageShape.Tuple(shape)}");
        }
        var output = new[] { outputs.Sum(o => o.Shape[0]), outputs[0].Shape[1], outputs[0].Shape[2] };
        trace.EndGroup(group, output);
        return output;
    }

    internal override nn.Module<Tensor, Tensor> CreateModule(long[] input, Device? device) =>
        new InceptionModule(_branches.Select(b => (b.Name, b.Branch.CreateModule(input, device))).ToArray());

    private sealed class InceptionModule : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor>[] _branches;

        public InceptionModule((string Name, nn.Module<Tensor, Tensor> Module)[] branches)
            : base("Inception")
        {
            _branches = branches.Select(b => b.Module).ToArray();
            foreach (var (name, module) in branches)
                register_module(name, module);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var outputs = _branches.Select(b => b.call(input)).ToArray();
            return torch.cat(outputs, 1).MoveToOuterDisposeScope();
        }
    }
}
