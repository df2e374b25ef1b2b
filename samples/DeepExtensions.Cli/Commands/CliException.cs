namespace DeepExtensions.Cli.Commands;

/// <summary>
/// A failure the user can fix, reported as one line on stderr (no stack trace) and an exit code.
/// </summary>
public sealed class CliException : Exception
{
    private CliException(int exitCode, string message)
        : base(message) => ExitCode = exitCode;

    /// <summary>The process exit code: <see cref="ExitCodes.Usage"/> or <see cref="ExitCodes.Data"/>.</summary>
    public int ExitCode { get; }

    /// <summary>The command line is wrong: an unknown option, a missing or invalid value, an existing --out.</summary>
    public static CliException UsageError(string message) => new(ExitCodes.Usage, message);

    /// <summary>A file is wrong: missing, empty, malformed, or without the columns or values the task needs.</summary>
    public static CliException DataError(string message) => new(ExitCodes.Data, message);
}

/// <summary>The exit codes of every deepext command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Data = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;
}
