using Microsoft.ML.DeepExtensions.Vision.Layers;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// A user's own architecture described with the Vision <see cref="Layer"/>s and registered with
/// <see cref="ImageArchitectures.Register(string, Func{long[], int, LayerStack})"/>: it gets the same
/// shape checks, summary and parameter counts as the built-in ones.
/// </summary>
internal sealed class RegisteredLayerArchitecture(string name, Func<long[], int, LayerStack> describe) : LayeredArchitecture
{
    /// <inheritdoc/>
    public override string Name { get; } = name;

    private protected override LayerStack DescribeLayers(long[] inputShape, int classes) =>
        describe((long[])inputShape.Clone(), classes)
        ?? throw new InvalidOperationException($"The layer description of the custom architecture '{Name}' returned null.");
}
