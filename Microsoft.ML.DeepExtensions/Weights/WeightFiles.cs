using Microsoft.ML.DeepExtensions.Internals;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// Reads and writes state dictionaries in PyTorch's <c>torch.save</c> format and in safetensors, so weights move
/// between PyTorch and DeepExtensions in both directions.
/// </summary>
/// <example>
/// <code>
/// using var weights = WeightFiles.Read("resnet18.pth");           // torch.save(model.state_dict(), ...)
/// WeightFiles.Write("copy.safetensors", weights);                   // safetensors.torch.load_file reads it
/// </code>
/// </example>
public static class WeightFiles
{
    /// <summary>Reads every tensor of a <c>torch.save</c> checkpoint or a safetensors file (told apart by their first bytes).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightFileException">The file is malformed or truncated; the message names the file and the tensor.</exception>
    public static StateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weight file '{path}' not found.", path);
        return WeightFileFormats.Detect(path) switch
        {
            WeightFileFormat.Safetensors => SafetensorsFile.Read(path),
            _ => TorchCheckpointFile.Read(path),
        };
    }

    /// <summary>Writes named tensors in the format of <paramref name="path"/>'s extension (<c>.pt</c>, <c>.pth</c>, <c>.bin</c> or <c>.safetensors</c>).</summary>
    /// <param name="path">The file; replaced when it exists, written all or nothing.</param>
    /// <param name="tensors">Names and tensors, in the order to write; tensors on a GPU are copied to the CPU.</param>
    /// <exception cref="ArgumentException">The extension is none of the supported ones.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var format = WeightFileFormats.FromExtension(path)
            ?? throw new ArgumentException($"Cannot tell the weight format of '{path}': use .safetensors, or {string.Join(", ", WeightFileFormats.PyTorchExtensions)} for torch.save's format.", nameof(path));
        Write(path, tensors, format);
    }

    /// <summary>Writes named tensors in <paramref name="format"/>, whatever the extension.</summary>
    /// <inheritdoc cref="Write(string, IEnumerable{KeyValuePair{string, Tensor}})"/>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, WeightFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = torch.NewDisposeScope();
        var list = tensors.Select(p => (p.Key, p.Value.detach().cpu().contiguous())).ToList();
        var duplicate = list.GroupBy(p => p.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Tensor name '{duplicate.Key}' appears more than once.", nameof(tensors));
        AtomicFile.Write(path, overwrite: true, stream =>
        {
            if (format == WeightFileFormat.Safetensors)
                SafetensorsFile.Write(stream, list);
            else
                TorchCheckpointFile.Write(stream, list);
        });
    }
}
