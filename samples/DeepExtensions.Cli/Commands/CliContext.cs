namespace DeepExtensions.Cli.Commands;

/// <summary>Where a command writes and what stops it.</summary>
/// <param name="Out">Results only: the metrics JSON, predictions without --out, help.</param>
/// <param name="Error">Progress, notes and error lines.</param>
/// <param name="LiveProgress">Draw a live progress bar (stderr is a terminal) instead of one line per epoch.</param>
/// <param name="CancellationToken">Cancels training (Ctrl+C).</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, bool LiveProgress, CancellationToken CancellationToken)
{
    /// <summary>Writes <c>deepext: MESSAGE</c> on stderr.</summary>
    public void Note(string message) => Error.WriteLine($"deepext: {message}");
}
