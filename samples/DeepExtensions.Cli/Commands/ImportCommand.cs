using System.Globalization;
using DeepExtensions.Cli.Output;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Weights;
using Microsoft.ML.DeepExtensions.Weights;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext import --arch NAME --weights FILE --out model.zip</c>: a scoring model from pretrained weights (a torchvision
/// state dictionary saved by torch.save, or safetensors), saved like a trained image classifier so that
/// <c>deepext predict</c>, <c>evaluate</c> and <c>export</c> take it.
/// </summary>
public static class ImportCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("arch", "NAME", "The architecture the weights belong to: " + string.Join(", ", ImageArchitectures.Names) + ".", Required: true),
        new("weights", "FILE", "A state dictionary: torch.save(model.state_dict(), FILE) (.pt, .pth, .bin) or .safetensors, with torchvision's tensor names.", Required: true),
        new("out", "FILE", "Where to save the model (.zip).", Required: true),
        new("classes", "N|FILE", "The class names: N (named 0 to N-1) or a text file with one name per line, in the classifier's output order (default: as many as the file's classifier has, named 0 to N-1)."),
        new("input", "CxHxW", "The images the model scores: channels x height x width (default: 3x224x224)."),
        new("normalize", "imagenet|none", "What the weights expect of the [0, 1] pixels: ImageNet's mean and standard deviation (torchvision's pretrained models), or none (default: imagenet)."),
        new("no-strict", null, "Accept files with tensors the architecture lacks, or lacking some (they keep fresh values); by default they are refused, naming them."),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Builds a scoring model from pretrained weights, without training: images are loaded, resized to --input,\n" +
        "normalized as the weights expect and scored; 'deepext predict --model FILE --data IMAGES' then prints each\n" +
        "image's class probabilities. Missing, unexpected and wrongly-shaped tensors are reported by name.\n" +
        "An ONNX classifier instead: deepext import --onnx FILE --classes N|FILE --out model.zip (see 'deepext import --onnx FILE --help').";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("import", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string outPath = arguments.Require("out");
        bool force = arguments.Has("force");
        OutputFile.CheckWritable(outPath, "--out", force);
        string architectureName = arguments.Require("arch").Trim().ToLowerInvariant();
        var architecture = TrainingArguments.FromRegistry("--arch", () => ImageArchitectures.Get(architectureName));
        var inputShape = arguments.Get("input") is { } input ? SummaryCommand.ParseShape(input) : new long[] { 3, 224, 224 };
        var normalization = ParseNormalization(arguments.Get("normalize") ?? "imagenet", inputShape);
        string weights = arguments.Require("weights");
        if (!File.Exists(weights))
            throw CliException.DataError($"--weights '{weights}' not found");

        var mlContext = new MLContext(TrainingArguments.DefaultSeed);
        NetworkPredictionTransformer network;
        IReadOnlyList<string> classes;
        try
        {
            classes = ClassNames(arguments.Get("classes"), () => PretrainedImageClassifier.ClassCount(architecture, inputShape, weights));
            network = PretrainedImageClassifier.Create(mlContext, architecture, weights, inputShape, classes, normalization,
                ImagePipeline.ImageColumn, out var report, strict: !arguments.Has("no-strict"));
            context.Note($"--weights '{weights}': {report}");
        }
        catch (WeightFileException e)
        {
            throw CliException.DataError(Messages.OneLine(e));
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError($"import: {Messages.OneLine(e)}");
        }

        // The same pipeline 'deepext train' saves for image folders: label to key, load and resize, network, key to label.
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<LabelledImage>());
        var shape = new Microsoft.ML.DeepExtensions.Vision.Classification.ImageShape((int)inputShape[0], (int)inputShape[1], (int)inputShape[2]);
        var prepared = ImagePipeline.LabelToKey(mlContext, classes).Append(ImagePipeline.LoadImages(mlContext, ImageSourceKind.Folder, shape)!).Fit(empty);
        var post = ImagePipeline.PredictedKeyToLabel(mlContext).Fit(network.Transform(prepared.Transform(empty)));
        var info = new ModelInfo(PredictionTask.MulticlassClassification, ImagePipeline.LabelColumn, classes)
        {
            Images = new ImageModelInput("folder", string.Join("x", inputShape), architectureName),
        };
        using (var model = new TransformerChain<ITransformer>(prepared, network, post))
            ModelFile.Save(mlContext, model, empty.Schema, info, outPath, force);
        context.Note($"saved {network.Network} from '{weights}' to {outPath}");
        return ExitCodes.Success;
    }

    private static ImageNormalization? ParseNormalization(string text, long[] inputShape)
    {
        try
        {
            var normalization = ImageNormalization.Parse(text);
            if (normalization is not null && normalization.Channels != inputShape[0])
                throw CliException.UsageError($"import: --normalize '{text}' has {normalization.Channels} channels; --input has {inputShape[0]}");
            return normalization;
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError($"import: --normalize: {Messages.OneLine(e)}");
        }
    }

    /// <summary>N (named 0..N-1), a file with one name per line, or the file's own class count.</summary>
    private static IReadOnlyList<string> ClassNames(string? text, Func<int> countInFile) =>
        text is null ? Numbered(countInFile()) : ParseClasses(text);

    /// <summary><c>--classes N|FILE</c> of both import forms: N (named 0..N-1) or a file with one name per line.</summary>
    internal static IReadOnlyList<string> ParseClasses(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            return count >= 2 ? Numbered(count) : throw CliException.UsageError($"import: --classes '{text}' is not valid: at least 2 classes");
        if (!File.Exists(text))
            throw CliException.UsageError($"import: --classes '{text}' is neither a number nor an existing file of class names");
        var names = File.ReadAllLines(text).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length < 2 || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw CliException.DataError($"--classes '{text}' must list at least 2 distinct class names, one per line; it has {names.Length} ({names.Distinct(StringComparer.Ordinal).Count()} distinct)");
        return names;
    }

    private static string[] Numbered(int count) => Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private sealed class LabelledImage
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
