namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>
/// TorchSharp or LibTorch cannot be used as asked: it failed to start, a LibTorch folder is
/// unusable, or the requested compute device is not there. The message says which library or
/// device, why, and what to do.
/// </summary>
/// <remarks>
/// Raised instead of TorchSharp's own start-up errors, whose "doesn't contain a reference to
/// libtorch-cpu-linux-x64" hides the loader's real reason; the original exception, where there is
/// one, is kept as <see cref="Exception.InnerException"/>. Derives from
/// <see cref="InvalidOperationException"/> because the fix lies in the machine or the app's set-up,
/// not in an argument.
/// </remarks>
public sealed class TorchBackendException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public TorchBackendException()
        : base("TorchSharp's native backend is not usable.")
    {
    }

    /// <summary>Creates the exception with a message that says what failed and what to do.</summary>
    public TorchBackendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public TorchBackendException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
