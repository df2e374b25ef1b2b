using System.Globalization;

namespace DeepExtensions.Cli.Csv;

/// <summary>The type a CSV column is read as.</summary>
public enum CsvColumnKind
{
    /// <summary>Every value is an invariant-culture number or missing: read as Single (missing = NaN).</summary>
    Numeric,

    /// <summary>Anything else: read as text (a categorical feature, or a class label).</summary>
    Text,
}

/// <summary>One column of a CSV file and the type inferred for it.</summary>
public sealed record CsvColumn(string Name, CsvColumnKind Kind);

/// <summary>
/// Infers each column's type from the header and every row: a column is <see cref="CsvColumnKind.Numeric"/>
/// when each value parses as a finite invariant-culture number (<c>3</c>, <c>-0.5</c>, <c>1e-3</c>) or is
/// missing (empty or <c>?</c>, which ML.NET reads as NaN), otherwise <see cref="CsvColumnKind.Text"/>.
/// An all-missing column counts as numeric.
/// </summary>
public static class CsvSchemaInference
{
    public static IReadOnlyList<CsvColumn> Infer(CsvTable table) =>
        table.Header.Select((name, i) => new CsvColumn(name, IsNumericColumn(table, i) ? CsvColumnKind.Numeric : CsvColumnKind.Text)).ToArray();

    public static bool IsNumericColumn(CsvTable table, int column) =>
        table.Rows.All(row => IsMissing(row[column]) || IsNumber(row[column]));

    /// <summary>Empty or <c>?</c>: a missing number (NaN).</summary>
    public static bool IsMissing(string value) => value.Length == 0 || value == "?";

    public static bool IsNumber(string value) => TryParse(value, out _);

    /// <summary>
    /// Parses a finite invariant-culture number. <c>NaN</c>, <c>Infinity</c> and numbers beyond
    /// Double's range are not numbers here: ML.NET would read them as values that poison the mean and
    /// variance of normalization; a missing value is written as empty or <c>?</c>.
    /// </summary>
    public static bool TryParse(string value, out double number) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    /// <summary>
    /// True when most (at least <paramref name="share"/>) of the column's present values are numbers
    /// but not all: such a column is numeric with typos, not a categorical one, and one-hot encoding
    /// it would silently turn every distinct number into a category.
    /// </summary>
    public static bool IsMostlyNumeric(CsvTable table, int column, double share = 0.8)
    {
        int present = 0, numbers = 0;
        foreach (var row in table.Rows)
        {
            if (IsMissing(row[column]))
                continue;
            present++;
            if (IsNumber(row[column]))
                numbers++;
        }
        return numbers < present && numbers >= share * present;
    }

    /// <summary>The first row whose value in <paramref name="column"/> is neither missing nor a number, or -1.</summary>
    public static int FirstNonNumericRow(CsvTable table, int column)
    {
        for (int r = 0; r < table.Rows.Count; r++)
        {
            string value = table.Rows[r][column];
            if (!IsMissing(value) && !IsNumber(value))
                return r;
        }
        return -1;
    }
}
