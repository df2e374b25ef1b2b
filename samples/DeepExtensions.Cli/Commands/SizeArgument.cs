using System.Globalization;

namespace DeepExtensions.Cli.Commands;

/// <summary>
/// The one parser of <c>AxB</c> size options (<c>--window 24x24</c>, <c>--min-size 30x30</c>,
/// <c>--image-size 64x64</c>); each command keeps its own meaning of the two numbers and its own
/// error message.
/// </summary>
internal static class SizeArgument
{
    /// <summary>
    /// Two non-negative integers separated by <c>x</c> (or <c>X</c>); with <paramref name="allowSingle"/>,
    /// one integer <c>A</c> stands for <c>AxA</c>. Null when the text is not of that form.
    /// </summary>
    public static (int First, int Second)? TryParse(string text, bool allowSingle = false)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length == 1 && !allowSingle || parts.Length > 2)
            return null;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first))
            return null;
        if (parts.Length == 1)
            return (first, first);
        return int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int second) ? (first, second) : null;
    }
}
