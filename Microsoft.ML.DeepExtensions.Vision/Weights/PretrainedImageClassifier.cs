using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Weights;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Vision.Weights;

/// <summary>
/// A scoring model from pretrained weights, without training: an architecture, a torchvision state dictionary
/// (or a previous model.zip), the class names and the input the weights expect (shape and normalization), as the
/// same <see cref="NetworkPredictionTransformer"/> a trained CNN gives (<c>Score</c> = class probabilities,
/// <c>PredictedLabel</c>), saved and loaded with model.zip.
/// </summary>
/// <example>
/// <code>
/// var model = PretrainedImageClassifier.Create(mlContext, ImageArchitectures.Get("resnet18"), "resnet18.pth",
///     new long[] { 3, 224, 224 }, classNames, ImageNormalization.ImageNet, featureColumnName: "Image", out var report);
/// </code>
/// </example>
public static class PretrainedImageClassifier
{
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="architecture">The network the weights belong to.</param>
    /// <param name="weightsPath">A <c>torch.save</c> state dictionary, a safetensors file or a model.zip.</param>
    /// <param name="inputShape"><c>[channels, height, width]</c> of the images the model scores.</param>
    /// <param name="classNames">One name per class, in the order of the classifier's outputs; their count must be the file's.</param>
    /// <param name="normalization">What the weights expect of [0, 1] pixels (torchvision's: <see cref="ImageNormalization.ImageNet"/>); null for none.</param>
    /// <param name="featureColumnName">The image (or planar float vector) column the model reads.</param>
    /// <param name="report">What was loaded.</param>
    /// <param name="strict">Refuse files with missing or unexpected tensors. Defaults to true.</param>
    /// <exception cref="WeightFileException">The file cannot be read, its tensors do not fit the architecture, or its classifier has another class count.</exception>
    public static NetworkPredictionTransformer Create(MLContext mlContext, ImageArchitecture architecture, string weightsPath, long[] inputShape,
        IReadOnlyList<string> classNames, ImageNormalization? normalization, string featureColumnName, out WeightLoadReport report, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        var definition = new ImageNetwork(architecture, inputShape, classNames.Count, normalization);
        mlContext.RegisterDeepExtensions();
        var module = definition.Build();
        try
        {
            report = ImageNetworkWeights.Load(definition, module, weightsPath, strict);
            if (report.Reinitialized.Count > 0)
            {
                throw new WeightFileException(weightsPath, report.Reinitialized[0],
                    $"the file's classifier does not have {classNames.Count} classes (the class names given), so a scoring model would predict with random weights. Give as many class names as the file has classes.");
            }
            var scorer = new NetworkScorer(definition, module, torch.CPU, PredictionTask.MulticlassClassification);
            var predictions = new PredictionColumns(PredictionTask.MulticlassClassification, KeyValues.Text(classNames.ToArray()));
            return new NetworkPredictionTransformer(mlContext, scorer, predictions, featureColumnName, scoringBatchSize: 64, ComputeDevice.Cpu, cudaDeviceIndex: null);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The number of classes of the weights in <paramref name="weightsPath"/> for <paramref name="architecture"/>: the output
    /// size of its classifier's weight (e.g. <c>fc.weight</c> of a ResNet, <c>classifier.6.weight</c> of a VGG).
    /// </summary>
    /// <exception cref="WeightFileException">The file has no classifier weight of that name.</exception>
    public static int ClassCount(ImageArchitecture architecture, long[] inputShape, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        TorchBackend.EnsureStarted();
        using var module = architecture is LayeredArchitecture layered
            ? layered.Create(inputShape, 2, torch.META)
            : architecture.Create(inputShape, 2);
        var classifierWeight = ImageNetworkWeights.Classifier(module).FirstOrDefault(n => n.EndsWith(".weight", StringComparison.Ordinal) || n == "weight")
            ?? throw new ArgumentException($"Architecture '{architecture.Name}' has no classifier weight.", nameof(architecture));
        string name = architecture.ToPyTorchName(classifierWeight);
        using var weights = ImageNetworkWeights.ReadPyTorchNamed(weightsPath);
        return weights.TryGetValue(name, out var tensor) && tensor.shape.Length >= 1
            ? checked((int)tensor.shape[0])
            : throw new WeightFileException(weightsPath, name, $"the classifier weight of {architecture.Name} is not in the file, so its class count is unknown (is it a {architecture.Name} state dictionary?).");
    }
}
