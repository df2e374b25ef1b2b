using DeepExtensions.Cli.Pipelines;
using Microsoft.ML;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Onnx.Export;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// <c>deepext export</c>: writes a trained image classifier's network to an interchange format chosen by
/// the output's extension; <c>.onnx</c> (opset 13) here.
/// </summary>
public static class ExportCommand
{
    public static readonly IReadOnlyList<CliOption> Options = new CliOption[]
    {
        new("model", "FILE", "A model.zip of 'deepext train --task image-classification'.", Required: true),
        new("out", "FILE.onnx", "The file to write; its extension picks the format (.onnx: ONNX, opset 13).", Required: true),
        new("force", null, "Overwrite --out if it exists."),
    };

    public const string Summary =
        "Exports a trained image classifier to ONNX (opset 13): input [N, C, H, W] floats with pixels in [0, 1]\n" +
        "(planar RGB, or gray), output Score (class probabilities). ONNX Runtime, ML.NET's ApplyOnnxModel and\n" +
        "OpenCV's dnn module run the file.";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (Arguments.ParseOrShowHelp("export", args, Options, Summary, context.Out) is not { } arguments)
            return ExitCodes.Success;
        string output = arguments.Require("out");
        if (!string.Equals(Path.GetExtension(output), ".onnx", StringComparison.OrdinalIgnoreCase))
            throw CliException.UsageError($"export: --out '{output}' must end in .onnx");
        if (File.Exists(output) && !arguments.Has("force"))
            throw CliException.UsageError($"export: --out '{output}' exists; pass --force to overwrite it");

        var ml = new MLContext(seed: 1);
        var loaded = ModelFile.Load(ml, arguments.Require("model"));
        if (loaded.Info.Images is null)
            throw CliException.DataError($"export: --model '{arguments.Require("model")}' is not an image classifier; ONNX export covers 'deepext train --task image-classification' models (a CSV model's pipeline normalizes its columns before the network)");
        try
        {
            OnnxExport.Save(loaded.Model, output);
        }
        catch (Exception e) when (e is OnnxFormatException or ArgumentException)
        {
            throw CliException.DataError($"export: {Messages.OneLine(e)}");
        }
        context.Out.WriteLine($"Wrote {output} ({new FileInfo(output).Length:N0} bytes, ONNX opset 13).");
        return ExitCodes.Success;
    }
}
