using System.Globalization;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Output.Charts;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.DeepExtensions.Vision;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.DeepExtensions.Vision.Weights;

using OptimizerRegistry = Microsoft.ML.DeepExtensions.Optimizers.Optimizers;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext train --task image-classification</c>: trains a CNN on an IDX folder or a folder of
/// class sub-folders, saves the pipeline, evaluates the saved model on the test images and writes
/// the training curves and the confusion matrix as PNG files next to the model.
/// </summary>
public static class ImageTrainCommand
{
    /// <summary>What the CLI uses for an architecture unless told otherwise (chosen for a 2-core CPU).</summary>
    /// <param name="Epochs">Passes over the training images.</param>
    /// <param name="BatchSize">Images per gradient step.</param>
    /// <param name="ImageSize">Height and width images from a folder are resized to.</param>
    public sealed record ArchitectureDefaults(int Epochs, int BatchSize, int ImageSize);

    /// <remarks>
    /// An imported ONNX network (fine-tuned with pretrained weights) trains 3 epochs at 128x128: its graph is rewritten for
    /// that size (<c>InputSizeRetargeting</c>), where a ResNet-18 costs a third of what it costs at its exported 224x224,
    /// and pretrained weights need few passes.
    /// </remarks>
    public static ArchitectureDefaults DefaultsFor(string architecture) => architecture switch
    {
        "small-cnn" => new(5, 128, 64),
        "lenet" => new(20, 64, 32),
        OnnxBackbone.ArchitectureName => new(3, 64, 128),
        _ => new(10, 64, 224),
    };

    /// <summary>With --weights, the learning rate is the optimizer's own divided by this, unless --learning-rate says otherwise.</summary>
    public const double PretrainedLearningRateDivisor = 10;

    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("task", "image-classification", "What to predict.", Required: true),
        new("data", "DIR", "An IDX folder (train-*/t10k-* images and labels, e.g. /usr/share/datasets/fashion-mnist) or a folder with one sub-folder of images per class (or train/ and test/ folders of those).", Required: true),
        new("out", "FILE", "Where to save the model (.zip); the charts go next to it.", Required: true),
        new("arch", "NAME", "Architecture: " + string.Join(", ", ImageArchitectures.Names) + " (default: small-cnn; with --weights naming a model.zip of 'deepext import --onnx', that network under a new classifier)."),
        new("test", "DIR", "Test images for the final metrics (default: the IDX folder's t10k files or DIR/test, else the training images)."),
        new("validation", "DIR", "Validation images: early stopping watches their loss (default: none)."),
        new("image-size", "HxW", "Size images from a folder are resized to (default: 64x64 for small-cnn, 32x32 for lenet, 128x128 for a network of 'deepext import --onnx', 224x224 otherwise; IDX images keep theirs)."),
        new("channels", "1|3", "Read images from a folder as grayscale (1) or RGB (3) (default: 3)."),
        new("classes", "NAMES", "IDX class names in label order, comma-separated (default: Fashion-MNIST's names when the folder's path says fashion, else the digits)."),
        new("crop-padding", "N", "Augmentation: random crops after padding each side by N pixels (default: 0, off; with --weights an eighth of the image side)."),
        new("flip", null, "Augmentation: flip half of the training images left to right (default: off; on with --weights)."),
        new("no-augment", null, "With --weights: train without the default flips and crops (padding by an eighth of the image side)."),
        new("weights", "FILE", "Fine-tune: start from these weights (torch.save .pt/.pth, .safetensors with torchvision's names, or a model.zip); a classifier of another class count is re-initialized."),
        new("freeze-backbone", null, "Fine-tune: train only the classifier."),
        new("trainable-stages", "N", "Fine-tune: train the classifier and the last N stages (e.g. 1 = layer4 of a ResNet)."),
        new("head-learning-rate", "R", "The classifier's learning rate (default: --learning-rate; with --weights, 10 times --learning-rate)."),
        new("normalize", "imagenet|none", "Input normalization stored with the model (default: imagenet with .pt/.safetensors --weights, the model's own with a model.zip, else none)."),
        new("force", null, "Overwrite --out and the charts if they exist."),
    }.Concat(TrainingArguments.Options(new("softmax-cross-entropy", "cosine", "5 for small-cnn, 20 for lenet, 3 for a network of 'deepext import --onnx', 10 otherwise", "128 for small-cnn, 64 otherwise",
    LearningRate: "the optimizer's own, 0.001 for adam; with --weights a tenth of it, 0.0001 for adam"))).ToArray();

    public const string Summary =
        "Trains a convolutional network on images and saves the whole pipeline (label mapping, image loading\n" +
        "and resizing for folders, network) to --out. Writes MODEL.curves.png (loss and accuracy per epoch) and\n" +
        "MODEL.confusion.png (test confusion matrix) next to the model. Progress goes to stderr; the last\n" +
        "stdout line is the test metrics as JSON.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("train", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        if (arguments.Require("task") != TaskNames.ImageClassification)
            throw CliException.UsageError($"--task '{arguments.Require("task")}' is not valid here: expected {TaskNames.ImageClassification}");

        string architectureName = (arguments.Get("arch") ?? "small-cnn").Trim().ToLowerInvariant();
        ImageArchitecture architecture;
        if (arguments.Get("arch") is null && ImportedOnnxNetwork(arguments.Get("weights")) is { } imported)
        {
            // Fine-tuning a network of 'deepext import --onnx': its graphs under a new classifier, its weights from the model.zip.
            architecture = imported.WithNewHead();
            architectureName = OnnxBackbone.ArchitectureName;
        }
        else
            architecture = TrainingArguments.FromRegistry("--arch", () => ImageArchitectures.Get(architectureName));
        var defaults = DefaultsFor(architectureName);
        var options = new CnnTrainer.Options
        {
            LabelColumnName = ImagePipeline.LabelColumn,
            Architecture = architecture,
            Epochs = defaults.Epochs,
            BatchSize = BatchSize.Of(defaults.BatchSize),
        };
        TrainingArguments.Apply(arguments, options);
        if (arguments.Get("crop-padding") is { } padding)
            options.RandomCropPadding = TrainingArguments.ParseInt(padding, "--crop-padding", minimum: 0);
        options.HorizontalFlip = arguments.Has("flip");
        ApplyFineTuning(arguments, options);
        if (options.InitialWeights is not null)
        {
            context.Note($"fine-tuning from '{options.InitialWeights}' ({(options.FreezeBackbone ? "backbone frozen" : options.TrainableStages is int n ? $"the last {n} stages and the classifier trainable" : "all layers trainable")}" +
                string.Create(CultureInfo.InvariantCulture, $", learning rate {options.Optimizer.LearningRate}") +
                $"{(options.HeadLearningRate is double rate ? string.Create(CultureInfo.InvariantCulture, $", classifier learning rate {rate}") : "")}, input normalization: {options.Normalization?.ToString() ?? "none"})");
        }
        int channels = arguments.Get("channels") is { } channelText ? TrainingArguments.ParseInt(channelText, "--channels", minimum: 1) : 3;
        if (channels is not (1 or 3))
            throw CliException.UsageError($"--channels '{channels}' is not valid: expected 1 or 3");
        var (height, width) = arguments.Get("image-size") is { } size ? ParseSize(size) : (defaults.ImageSize, defaults.ImageSize);
        var classNames = arguments.Get("classes")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        string outPath = arguments.Require("out");
        bool force = arguments.Has("force");
        var charts = ChartPaths(outPath);
        OutputFile.CheckWritable(outPath, "--out", force);
        OutputFile.CheckWritable(charts.Curves, "--out (curves chart)", force);
        OutputFile.CheckWritable(charts.Confusion, "--out (confusion matrix chart)", force);

        var mlContext = new MLContext(options.Seed);
        var (train, test) = ImageDataSet.Open(mlContext, arguments.Require("data"), "--data", classNames, context);
        if (arguments.Get("test") is { } testDirectory)
            test = ImageDataSet.OpenLike(mlContext, train.Kind, testDirectory, "--test", train.Classes, context);
        var validation = arguments.Get("validation") is { } validationDirectory
            ? ImageDataSet.OpenLike(mlContext, train.Kind, validationDirectory, "--validation", train.Classes, context)
            : null;
        if (train.Classes.Count < 2)
            throw CliException.DataError($"--data '{train.Path}' has {train.Classes.Count} class(es): image classification needs at least 2");

        options.FeatureColumnName = ImagePipeline.FeatureColumnFor(train.Kind);
        if (train.Kind == ImageSourceKind.Folder)
            options.ImageShape = new ImageShape(channels, height, width);
        else if (arguments.Get("image-size") is not null || arguments.Get("channels") is not null)
            context.Note("--image-size and --channels apply to image folders; IDX images are used as they are");

        // Fit the label mapping and image loading first, so validation data goes through the same steps.
        var preparation = ImagePipeline.LabelToKey(mlContext, train.Classes);
        if (ImagePipeline.LoadImages(mlContext, train.Kind, options.ImageShape ?? default) is { } load)
            preparation = preparation.Append(load);
        var prepared = preparation.Fit(train.Data);
        ApplyFineTuningAugmentation(arguments, options, prepared.GetOutputSchema(train.Data.Schema), context);
        if (validation is not null)
            options.ValidationData = prepared.Transform(validation.Data);

        var reporter = new ProgressReporter(context.Error, context.LiveProgress, unit: "images");
        options.Progress = reporter;
        options.BatchProgress = reporter;
        options.CancellationToken = context.CancellationToken;
        var trainer = Create(mlContext, options);
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"training {architectureName} on {ImageDataSet.Describe(train.Kind)} in '{train.Path}', {train.Classes.Count} classes, for {options.Epochs} epochs, batches of {options.BatchSize}"));

        NetworkPredictionTransformer network;
        try
        {
            network = reporter.Run(options.Epochs, () => trainer.Fit(prepared.Transform(train.Data)));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e) when (e is not CliException)
        {
            throw CliException.DataError($"training failed: {Messages.OneLine(e)}");
        }
        context.Note(reporter.Summary());

        var post = ImagePipeline.PredictedKeyToLabel(mlContext).Fit(network.Transform(prepared.Transform(train.Data)));
        var shape = string.Join("x", network.Network.InputShape);
        var info = new ModelInfo(Microsoft.ML.DeepExtensions.PredictionTask.MulticlassClassification, ImagePipeline.LabelColumn, train.Classes)
        {
            Images = new ImageModelInput(train.Kind == ImageSourceKind.Idx ? "idx" : "folder", shape, architectureName),
        };
        using (var model = new TransformerChain<ITransformer>(prepared, network, post))
            ModelFile.Save(mlContext, model, train.Data.Schema, info, outPath, force);
        context.Note($"saved the model to {outPath}");

        // Score with the saved model, read back, exactly as 'deepext evaluate' does.
        var evaluationContext = new MLContext(options.Seed);
        var saved = ModelFile.Load(evaluationContext, outPath);
        try
        {
            var evaluated = test ?? train;
            var (report, confusion) = ModelEvaluation.EvaluateImages(evaluationContext, saved, evaluated.Data);
            TrainingCurvesChart.Write(trainer.TrainingHistory, charts.Curves, overwrite: force);
            ConfusionMatrixChart.Write(confusion, train.Classes, charts.Confusion, overwrite: force);
            context.Note($"wrote {charts.Curves} and {charts.Confusion}");
            context.Note((test is null ? "metrics on the training images (pass --test DIR for held-out metrics): " : $"metrics on the test images of '{evaluated.Path}': ")
                + MetricsJson.Summary(report));
            context.Out.WriteLine(MetricsJson.Format(report));
        }
        finally
        {
            (saved.Model as IDisposable)?.Dispose();
        }
        // Unreadable images were reported and left out, as every command that reads images does.
        return train.Unreadable + (test?.Unreadable ?? 0) + (validation?.Unreadable ?? 0) == 0 ? ExitCodes.Success : ExitCodes.Data;
    }

    /// <summary>The ONNX network of a model.zip that 'deepext import --onnx' wrote (or a model fine-tuned from one); null for other --weights.</summary>
    private static OnnxBackbone? ImportedOnnxNetwork(string? weights)
    {
        if (weights is null || !weights.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || !File.Exists(weights))
            return null;
        try
        {
            return ImageNetworkWeights.ArchitectureOf(weights) as OnnxBackbone;
        }
        catch (Microsoft.ML.DeepExtensions.Weights.WeightFileException e)
        {
            throw CliException.DataError(Messages.OneLine(e));
        }
    }

    /// <summary>--weights, --freeze-backbone, --trainable-stages, --head-learning-rate and --normalize.</summary>
    private static void ApplyFineTuning(Arguments arguments, CnnTrainer.Options options)
    {
        if (arguments.Get("weights") is { } weights)
        {
            if (!File.Exists(weights))
                throw CliException.DataError($"--weights '{weights}' not found");
            options.InitialWeights = weights;
        }
        options.FreezeBackbone = arguments.Has("freeze-backbone");
        if (arguments.Get("trainable-stages") is { } stages)
            options.TrainableStages = TrainingArguments.ParseInt(stages, "--trainable-stages", minimum: 0);
        if (options.FreezeBackbone && options.TrainableStages is not null)
            throw CliException.UsageError("--freeze-backbone and --trainable-stages cannot be combined (a frozen backbone trains no stage)");
        if (arguments.Get("head-learning-rate") is { } rate)
            options.HeadLearningRate = TrainingArguments.ParsePositive(rate, "--head-learning-rate");
        if (options.InitialWeights is not null)
        {
            // Pretrained layers move at a tenth of the usual rate and the new classifier at the usual one: at the full rate
            // the first steps, driven by a random head, wreck the features the weights were chosen for.
            if (arguments.Get("learning-rate") is null)
            {
                var optimizer = options.Optimizer;
                options.Optimizer = TrainingArguments.FromRegistry("--optimizer",
                    () => OptimizerRegistry.Get(arguments.Get("optimizer") ?? TrainingArguments.DefaultOptimizer, optimizer.LearningRate / PretrainedLearningRateDivisor));
            }
            options.HeadLearningRate ??= options.Optimizer.LearningRate * PretrainedLearningRateDivisor;
        }
        try
        {
            options.Normalization = arguments.Get("normalize") is { } text
                ? ImageNormalization.Parse(text)
                : options.InitialWeights is null ? null : ImageNetworkWeights.NormalizationOf(options.InitialWeights) ?? (options.InitialWeights.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? null : ImageNormalization.ImageNet);
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError($"--normalize: {Messages.OneLine(e)}");
        }
        catch (Microsoft.ML.DeepExtensions.Weights.WeightFileException e)
        {
            throw CliException.DataError(Messages.OneLine(e));
        }
    }

    /// <summary>
    /// With --weights, flips and random crops (padding by an eighth of the image side) unless --no-augment: a pretrained
    /// network of millions of weights fine-tuned on a few thousand images learns them by heart otherwise (the ResNet18
    /// package on the Fashion-MNIST subset, 3 epochs at 128x128: training accuracy 0.98 and test 0.858 without, 0.876 with).
    /// </summary>
    private static void ApplyFineTuningAugmentation(Arguments arguments, CnnTrainer.Options options, DataViewSchema prepared, CliContext context)
    {
        if (!arguments.Has("no-augment"))
        {
            if (options.InitialWeights is null)
                return;
            options.HorizontalFlip = true;
            if (arguments.Get("crop-padding") is null)
                options.RandomCropPadding = Math.Max(1, ImageShapeResolver.Resolve(prepared, options.FeatureColumnName, options.ImageShape).Height / 8);
            context.Note($"augmentation: left-right flips, random crops after padding by {options.RandomCropPadding} pixels (--no-augment: none)");
            return;
        }
        if (options.InitialWeights is null)
            throw CliException.UsageError("--no-augment applies with --weights (training from random weights augments only when --flip or --crop-padding say so)");
        if (arguments.Has("flip") || arguments.Get("crop-padding") is not null)
            throw CliException.UsageError("--no-augment cannot be combined with --flip or --crop-padding");
    }

    /// <summary>MODEL.curves.png and MODEL.confusion.png beside MODEL.zip.</summary>
    public static (string Curves, string Confusion) ChartPaths(string modelPath)
    {
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", Path.GetFileNameWithoutExtension(modelPath));
        return (stem + ".curves.png", stem + ".confusion.png");
    }

    private static CnnTrainer Create(MLContext mlContext, CnnTrainer.Options options)
    {
        try
        {
            return mlContext.MulticlassClassification.Trainers.Cnn(options);
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError(Messages.OneLine(e));
        }
    }

    private static (int Height, int Width) ParseSize(string text) =>
        SizeArgument.TryParse(text, allowSingle: true) is (int height, int width) && height > 0 && width > 0
            ? (height, width)
            : throw CliException.UsageError($"--image-size '{text}' is not valid: expected HxW (e.g. 64x64) or one size for both");
}
