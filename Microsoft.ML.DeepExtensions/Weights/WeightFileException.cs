namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// A weight file (PyTorch <c>torch.save</c> checkpoint or safetensors) that cannot be read, or whose tensors do not
/// fit the network: the message names the file and, where one is at fault, the tensor.
/// </summary>
public sealed class WeightFileException : IOException
{
    /// <param name="file">The file at fault.</param>
    /// <param name="tensor">The tensor at fault, or null when the whole file is.</param>
    /// <param name="message">What is wrong and the rule it breaks.</param>
    /// <param name="inner">The exception that revealed it, if any.</param>
    public WeightFileException(string file, string? tensor, string message, Exception? inner = null)
        : base(tensor is null ? $"Weight file '{file}': {message}" : $"Weight file '{file}', tensor '{tensor}': {message}", inner)
    {
        FileName = file;
        TensorName = tensor;
    }

    /// <summary>The file at fault.</summary>
    public string FileName { get; }

    /// <summary>The tensor at fault, or null when the whole file is.</summary>
    public string? TensorName { get; }
}
