using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A user's own TorchSharp module, made by a factory and registered under a name with
/// <see cref="ImageArchitectures.Register(string, Func{long[], int, nn.Module{Tensor, Tensor}})"/> (the same registration is needed to load a saved model).
/// </summary>
/// <remarks>
/// Its layers are opaque, so <see cref="Validate"/> builds the module and runs one zero image through
/// it (in evaluation mode, without gradients), and its summary records each leaf module's output.
/// </remarks>
public sealed class CustomArchitecture : ImageArchitecture
{
    private readonly Func<long[], int, nn.Module<Tensor, Tensor>> _factory;

    internal CustomArchitecture(string name, Func<long[], int, nn.Module<Tensor, Tensor>> factory)
    {
        Name = name;
        _factory = factory;
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> Create(long[] inputShape, int classes)
    {
        CheckArguments(inputShape, classes);
        TorchBackend.EnsureStarted();
        return _factory((long[])inputShape.Clone(), classes)
            ?? throw new InvalidOperationException($"The factory of the custom architecture '{Name}' returned null.");
    }

    /// <inheritdoc/>
    public override void Validate(long[] inputShape, int classes)
    {
        using var scope = torch.NewDisposeScope();
        using var network = Create(inputShape, classes);
        CheckOutput(Name, network, inputShape, classes);
    }

    /// <summary>
    /// Runs one zero image through <paramref name="network"/> (evaluation mode, no gradients) and refuses
    /// a failure or an output other than one score per class, naming the architecture.
    /// </summary>
    internal static void CheckOutput(string name, nn.Module<Tensor, Tensor> network, long[] inputShape, int classes)
    {
        using var scope = torch.NewDisposeScope();
        network.eval();
        long[] output;
        try
        {
            using var noGrad = torch.no_grad();
            output = network.call(torch.zeros(new long[] { 1 }.Concat(inputShape).ToArray())).shape;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"The custom architecture '{name}' fails on a {ImageShape.Format(inputShape)} input image: {e.Message}", nameof(inputShape), e);
        }
        if (!output.SequenceEqual(new long[] { 1, classes }))
            throw new ArgumentException($"The custom architecture '{name}' gives an output of shape {ImageShape.Tuple(output)} for one {ImageShape.Format(inputShape)} image, expected (1, {classes}): one score per class.", nameof(classes));
    }

    internal override NetworkSummary? Summarize(long[] inputShape, int classes) => null;
}
