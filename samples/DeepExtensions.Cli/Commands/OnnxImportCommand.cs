using System.Globalization;
using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;
using Microsoft.ML.DeepExtensions.Vision.Onnx;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext import --onnx FILE</c> (dispatched here from <c>import</c> when <c>--onnx</c> is given): makes a scoring model.zip from a pretrained ONNX image classifier,
/// imported as TorchSharp layers, so <c>deepext predict</c> and <c>evaluate</c> use it like a trained model.
/// </summary>
public static class OnnxImportCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("onnx", "FILE", "An ONNX image classifier (operators: Conv, BatchNormalization, Gemm, pooling, ...).", Required: true),
        new("classes", "N|FILE", "The class count, or a text file with one class name per line (in the order of the scores).", Required: true),
        new("out", "FILE", "The model.zip to write.", Required: true),
        new("input", "CxHxW", "Image shape the network reads. Default: the graph input's, when fixed."),
        new("output", "NAME", "The graph value holding the class scores (logits). Default: the graph's only output."),
        new("pixel-scale", "S", "Multiplies the [0, 1] pixels before the graph, e.g. 255 for a network trained on 0..255 pixels. Default: 1."),
        new("preprocess", "FILE", "An ONNX preprocessing graph run before the network (e.g. mean subtraction)."),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Imports a pretrained ONNX image classifier as a model.zip (TorchSharp layers with the file's weights) that\n" +
        "'deepext predict' and 'deepext evaluate' score like a trained model. Images are resized to --input and read\n" +
        "as RGB (or gray) pixels in [0, 1]; --pixel-scale and --preprocess adapt them to what the network expects.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("import", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string outPath = arguments.Require("out");
        if (File.Exists(outPath) && !arguments.Has("force"))
            throw CliException.UsageError($"import: --out '{outPath}' exists; pass --force to overwrite it");
        var classes = ImportCommand.ParseClasses(arguments.Require("classes"));
        float pixelScale = arguments.Get("pixel-scale") is { } scaleText
            ? float.TryParse(scaleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && float.IsFinite(s)
                ? s
                : throw CliException.UsageError($"import: --pixel-scale must be a positive number, got '{scaleText}'")
            : 1;

        var mlContext = new MLContext(seed: 1);
        OnnxBackbone architecture;
        long[] shape;
        try
        {
            architecture = ImageArchitectures.FromOnnx(arguments.Require("onnx"), new OnnxBackboneOptions
            {
                FeaturesOutputName = arguments.Get("output"),
                PreprocessingPath = arguments.Get("preprocess"),
                PixelScale = pixelScale,
                NewHead = false,
            });
            shape = arguments.Get("input") is { } inputText ? SummaryCommand.ParseShape(inputText) : GraphShape(architecture);
        }
        catch (Exception e) when (e is OnnxFormatException or FileNotFoundException)
        {
            throw CliException.DataError($"import: {Messages.OneLine(e)}");
        }

        var imageShape = new ImageShape((int)shape[0], (int)shape[1], (int)shape[2]);
        var data = mlContext.Data.LoadFromEnumerable(Array.Empty<ImageRow>());
        var preparation = ImagePipeline.LabelToKey(mlContext, classes).Append(ImagePipeline.LoadImages(mlContext, ImageSourceKind.Folder, imageShape)!).Fit(data);
        Microsoft.ML.DeepExtensions.Scoring.NetworkPredictionTransformer network;
        try
        {
            network = PretrainedImageClassifier.Create(mlContext, architecture, shape, classes, ImagePipeline.ImageColumn);
        }
        catch (ArgumentException e)
        {
            throw CliException.DataError($"import: {Messages.OneLine(e)}");
        }
        var post = ImagePipeline.PredictedKeyToLabel(mlContext).Fit(network.Transform(preparation.Transform(data)));
        var info = new ModelInfo(Microsoft.ML.DeepExtensions.PredictionTask.MulticlassClassification, ImagePipeline.LabelColumn, classes)
        {
            Images = new ImageModelInput("folder", string.Join("x", shape), OnnxBackbone.ArchitectureName),
        };
        using (var model = new TransformerChain<ITransformer>(preparation, network, post))
            ModelFile.Save(mlContext, model, data.Schema, info, outPath, arguments.Has("force"));
        context.Out.WriteLine($"Imported {arguments.Require("onnx")} ({architecture.Operators.Count} nodes, {classes.Count} classes, {ImageShapeText(shape)} input) to {outPath}.");
        return ExitCodes.Success;
    }

    private static string ImageShapeText(long[] shape) => string.Join("x", shape);

    /// <summary>The [C, H, W] of a graph input declared [N, C, H, W] with fixed sizes.</summary>
    private static long[] GraphShape(OnnxBackbone architecture) =>
        architecture.InputShape.Count == 4 && architecture.InputShape.Skip(1).All(d => d > 0)
            ? architecture.InputShape.Skip(1).ToArray()
            : throw CliException.UsageError($"import: the graph input's shape is [{string.Join(", ", architecture.InputShape)}], not a fixed [N, C, H, W]; give --input CxHxW");

    private sealed class ImageRow
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
