using System.Globalization;
using System.Text;

namespace DeepExtensions.Cli.Csv;

/// <summary>Writes CSV rows, quoting the fields that need it.</summary>
public static class CsvWriter
{
    public static void WriteRow(TextWriter writer, IEnumerable<string> fields)
    {
        writer.Write(string.Join(",", fields.Select(Escape)));
        writer.Write('\n');
    }

    public static string Escape(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 || field != field.Trim()
            ? "\"" + field.Replace("\"", "\"\"") + "\""
            : field;

    /// <summary>A float as the shortest invariant text that reads back the same; NaN as an empty field.</summary>
    public static string Number(float value) =>
        float.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    public static Encoding Encoding { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
}
