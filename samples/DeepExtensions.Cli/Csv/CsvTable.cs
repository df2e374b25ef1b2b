using System.Text;
using DeepExtensions.Cli.Commands;

namespace DeepExtensions.Cli.Csv;

/// <summary>
/// A comma-separated file read whole: the header and every row's fields, each row of the header's
/// width. Fields are split as ML.NET's <c>TextLoader</c> splits them with <c>AllowQuoting</c>, so the
/// values checked here are the values the model sees: quoted fields (<c>"a, b"</c>,
/// <c>"say ""hi"""</c>) are unquoted, leading spaces are dropped and trailing ones kept, and empty
/// lines are skipped. Header names are trimmed.
/// </summary>
public sealed class CsvTable
{
    private readonly string[] _header;

    private CsvTable(string path, string[] header, List<string[]> rows, List<int> lineNumbers)
    {
        Path = path;
        _header = header;
        Rows = rows;
        LineNumbers = lineNumbers;
    }

    /// <summary>The file, as given on the command line.</summary>
    public string Path { get; }

    public IReadOnlyList<string> Header => _header;

    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The 1-based line of each row in the file, for messages.</summary>
    public IReadOnlyList<int> LineNumbers { get; }

    /// <summary>The index of a header column, or -1.</summary>
    public int IndexOf(string column) => Array.IndexOf(_header, column);

    /// <summary>Reads <paramref name="path"/>; a missing, empty or malformed file is a data error naming <paramref name="option"/>.</summary>
    public static CsvTable Read(string path, string option)
    {
        if (Directory.Exists(path))
            throw CliException.DataError($"{option} '{path}' is a folder, not a CSV file");
        if (!File.Exists(path))
            throw CliException.DataError($"{option} '{path}' not found");

        string[]? header = null;
        var rows = new List<string[]>();
        var lineNumbers = new List<int>();
        int lineNumber = 0;
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                lineNumber++;
                if (line.Length == 0)
                    continue;
                var fields = SplitLine(line, out string? error);
                if (error is not null)
                    throw CliException.DataError($"{option} '{path}' line {lineNumber}: {error}");
                if (header is null)
                {
                    header = fields.Select(f => f.Trim()).ToArray();
                    CheckHeader(header, path, option);
                    continue;
                }
                if (fields.Length != header.Length)
                    throw CliException.DataError($"{option} '{path}' line {lineNumber} has {Fields(fields.Length)}, the header has {Fields(header.Length)}");
                rows.Add(fields);
                lineNumbers.Add(lineNumber);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.DataError($"{option} '{path}' cannot be read: {e.Message}");
        }

        if (header is null)
            throw CliException.DataError($"{option} '{path}' is empty (expected a header row and data rows)");
        if (rows.Count == 0)
            throw CliException.DataError($"{option} '{path}' has a header but no data rows");
        return new CsvTable(path, header, rows, lineNumbers);
    }

    private static string Fields(int count) => count == 1 ? "1 field" : $"{count} fields";

    private static void CheckHeader(string[] header, string path, string option)
    {
        for (int i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0)
                throw CliException.DataError($"{option} '{path}': header column {i + 1} has no name");
        }
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw CliException.DataError($"{option} '{path}': the header names column '{duplicate.Key}' more than once");
    }

    /// <summary>Splits one line at commas outside double quotes, as <c>TextLoader</c> does: unquotes fields and drops leading spaces.</summary>
    internal static string[] SplitLine(string line, out string? error)
    {
        error = null;
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            while (i < line.Length && line[i] == ' ')
                i++;
            if (i < line.Length && line[i] == '"')
            {
                field.Clear();
                i++;
                bool closed = false;
                while (i < line.Length)
                {
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        closed = true;
                        break;
                    }
                    field.Append(line[i++]);
                }
                if (!closed)
                {
                    error = "a quoted field is not closed (fields may not span lines)";
                    return Array.Empty<string>();
                }
                while (i < line.Length && line[i] == ' ')
                    i++;
                if (i < line.Length && line[i] != ',')
                {
                    error = "unexpected text after a quoted field";
                    return Array.Empty<string>();
                }
                fields.Add(field.ToString());
            }
            else
            {
                int start = i;
                while (i < line.Length && line[i] != ',')
                    i++;
                fields.Add(line[start..i]);
            }

            if (i >= line.Length)
                return fields.ToArray();
            i++; // the comma
        }
    }
}
