using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// A scoring model made from pretrained weights rather than by training: the same transformer the CNN
/// trainer gives (<c>Score</c> with one probability per class, <c>PredictedLabel</c> over the class names,
/// batched scoring, model.zip), for a network whose modules come with their weights.
/// </summary>
public static class PretrainedImageClassifier
{
    /// <summary>
    /// Builds <paramref name="architecture"/> for <paramref name="inputShape"/> and the classes, lets
    /// <paramref name="loadWeights"/> fill its weights, and wraps it as a multiclass scoring transformer.
    /// </summary>
    /// <param name="mlContext">The context whose log and settings the transformer uses.</param>
    /// <param name="architecture">
    /// The network, e.g. <c>ImageArchitectures.FromOnnx(path, new OnnxBackboneOptions { NewHead = false })</c>,
    /// whose modules are built with the file's weights.
    /// </param>
    /// <param name="inputShape"><c>[C, H, W]</c> of one image.</param>
    /// <param name="classNames">The class names, in the order of the network's scores (the key values of <c>PredictedLabel</c>).</param>
    /// <param name="featureColumnName">The input column: an image (<c>LoadImages</c> + <c>ResizeImages</c>) or a vector of planar pixels in [0, 1]. Defaults to <c>Image</c>.</param>
    /// <param name="loadWeights">Fills the built modules' weights (e.g. from a PyTorch file). Defaults to null: the weights the architecture builds.</param>
    /// <exception cref="ArgumentException">Fewer than 2 classes, a bad shape, or a network that does not give one score per class.</exception>
    public static NetworkPredictionTransformer Create(MLContext mlContext, ImageArchitecture architecture, long[] inputShape, IReadOnlyList<string> classNames,
        string featureColumnName = "Image", Action<torch.nn.Module<torch.Tensor, torch.Tensor>>? loadWeights = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        TorchBackend.EnsureStarted();
        var definition = new ImageNetwork(architecture, inputShape, classNames.Count);
        var network = definition.Build();
        try
        {
            loadWeights?.Invoke(network);
            network.eval();
            var device = torch.CPU;
            var scorer = new NetworkScorer(definition, network, device, PredictionTask.MulticlassClassification);
            var predictions = new PredictionColumns(PredictionTask.MulticlassClassification, KeyValues.Text(classNames.ToArray()));
            return new NetworkPredictionTransformer(mlContext, scorer, predictions, featureColumnName, scoringBatchSize: 64, ComputeDevice.Cpu, cudaDeviceIndex: null);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
