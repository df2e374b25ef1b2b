using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Weights;
using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Classification;

/// <summary>
/// Transfer learning in the CNN trainer: pretrained weights in, the backbone frozen or only its last stages
/// trainable, and the classifier head at its own learning rate.
/// </summary>
/// <remarks>
/// The head is the module holding the network's last parameters (<c>fc</c> of a ResNet or GoogLeNet,
/// <c>classifier.fc3</c> of AlexNet and VGG). The backbone's stages are its top-level modules that hold
/// parameters, in order (ResNet: <c>conv1</c>, <c>bn1</c>, <c>layer1</c> ... <c>layer4</c>; GoogLeNet: the stem
/// convolutions and each inception block); for networks split into just <c>features</c> and <c>classifier</c>
/// (AlexNet, VGG) each layer inside them is a stage. Batch normalization in frozen stages still updates its
/// running statistics on the new images, as PyTorch's <c>model.train()</c> does.
/// </remarks>
internal static class FineTuning
{
    public static IReadOnlyList<ParameterGroup>? Prepare(CnnTrainer.Options options, ImageNetwork network, nn.Module module, IChannel channel)
    {
        var target = network.ArchitectureModule(module);
        if (options.InitialWeights is { } path)
        {
            var report = ImageNetworkWeights.Load(network, module, path, options.StrictWeights);
            channel.Info(MessageSensitivity.None, $"Initial weights from '{path}': {report}");
        }

        var head = ImageNetworkWeights.Classifier(target);
        var parameters = target.named_parameters().ToArray();
        var backbone = parameters.Where(p => !head.Contains(p.name)).ToArray();
        var stages = Stages(backbone.Select(p => p.name).ToArray());
        int trainable = options.FreezeBackbone ? 0 : options.TrainableStages ?? stages.Count;
        if (trainable > stages.Count)
            throw new ArgumentOutOfRangeException(nameof(CnnTrainer.Options.TrainableStages), $"TrainableStages is {trainable}, but {network.Architecture.Name} has {stages.Count} stages: {string.Join(", ", stages)}.");
        var trainableStages = stages.Skip(stages.Count - trainable).ToHashSet();
        foreach (var (name, parameter) in backbone)
            parameter.requires_grad = trainableStages.Contains(StageOf(name, stages));
        if (trainable < stages.Count)
        {
            channel.Info(MessageSensitivity.None, trainable == 0
                ? $"Backbone frozen: only the classifier ({string.Join(", ", head)}) trains."
                : $"Trainable: the last {trainable} of {stages.Count} stages ({string.Join(", ", trainableStages)}) and the classifier.");
        }

        if (options.HeadLearningRate is not double headRate)
            return null;
        double factor = headRate / options.Optimizer.LearningRate;
        return new[]
        {
            new ParameterGroup("backbone", backbone.Where(p => p.parameter.requires_grad).Select(p => p.parameter).ToArray(), 1),
            new ParameterGroup("head", parameters.Where(p => head.Contains(p.name)).Select(p => p.parameter).ToArray(), factor),
        };
    }

    /// <summary>The backbone's stages in order (see the remarks).</summary>
    internal static IReadOnlyList<string> Stages(IReadOnlyList<string> backboneParameters)
    {
        var top = backboneParameters.Select(n => n.Split('.')[0]).Distinct().ToArray();
        bool split = top.Length < 3;
        return backboneParameters.Select(n => Prefix(n, split)).Distinct().ToArray();
    }

    private static string StageOf(string parameter, IReadOnlyList<string> stages) =>
        stages.Single(s => parameter.StartsWith(s + ".", StringComparison.Ordinal));

    private static string Prefix(string name, bool twoLevels)
    {
        var parts = name.Split('.');
        return twoLevels && parts.Length > 2 ? parts[0] + "." + parts[1] : parts[0];
    }
}
