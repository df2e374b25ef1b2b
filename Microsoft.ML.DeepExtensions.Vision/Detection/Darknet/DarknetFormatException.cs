namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// A Darknet <c>.cfg</c> or <c>.weights</c> file that cannot be used: the message names the file, the line
/// (for a cfg) or the layer (for weights), the key or count at fault and the rule it breaks.
/// </summary>
public sealed class DarknetFormatException : FormatException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DarknetFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a complete message and the error that caused it.</summary>
    public DarknetFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
