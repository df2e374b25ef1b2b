namespace Microsoft.ML.DeepExtensions.Vision.Onnx;

/// <summary>
/// An ONNX file or graph that cannot be imported or exported: the message names the file, the
/// operator type and node name, or the tensor at fault, and the rule it breaks.
/// </summary>
public sealed class OnnxFormatException : FormatException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public OnnxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a complete message and the error that caused it.</summary>
    public OnnxFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
