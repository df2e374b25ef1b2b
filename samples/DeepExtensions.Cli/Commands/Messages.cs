namespace DeepExtensions.Cli.Commands;

/// <summary>Exception messages as one line for stderr.</summary>
public static class Messages
{
    /// <summary>The innermost useful message of <paramref name="e"/>, on one line.</summary>
    public static string OneLine(Exception e)
    {
        while (e is AggregateException { InnerException: not null } || (e.InnerException is not null && e.Message.Length == 0))
            e = e.InnerException!;
        var text = e.Message;
        if (e is ArgumentException { ParamName: { } parameter })
            text = text.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal);
        text = text.ReplaceLineEndings(" ").Trim();
        while (text.Contains("  ", StringComparison.Ordinal))
            text = text.Replace("  ", " ", StringComparison.Ordinal);
        return text.Length == 0 ? e.GetType().Name : text;
    }
}
