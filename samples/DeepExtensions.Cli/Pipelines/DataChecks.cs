using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Csv;
using Microsoft.ML.DeepExtensions;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// Checks that a CSV file fits a model before ML.NET reads it, so that every problem is one clear
/// line naming the file, the column and the line, rather than silent missing values.
/// </summary>
public static class DataChecks
{
    /// <summary>
    /// Every feature column must be in the file, with numbers where the model reads numbers. The label
    /// column <paramref name="fileLabel"/> must be there too when <paramref name="labelRequired"/>; when it
    /// is there its values must fit the task (non-empty; a known class, or a number for regression).
    /// </summary>
    /// <returns>Whether the file has the label column.</returns>
    public static bool Check(CsvTable table, string option, IReadOnlyList<CsvColumn> columns, ModelInfo info, string fileLabel, bool labelRequired)
    {
        var absent = columns.Where(c => c.Name != info.Label && table.IndexOf(c.Name) < 0).Select(c => c.Name).ToArray();
        if (absent.Length > 0)
            throw CliException.DataError(absent.Length == 1
                ? $"{option} '{table.Path}' has no column '{absent[0]}', a feature of the model"
                : $"{option} '{table.Path}' lacks {absent.Length} of the model's feature columns: {Names(absent)}");

        foreach (var column in columns.Where(c => c.Name != info.Label && c.Kind == CsvColumnKind.Numeric))
        {
            int index = table.IndexOf(column.Name);
            int row = CsvSchemaInference.FirstNonNumericRow(table, index);
            if (row >= 0)
                throw CliException.DataError($"{option} '{table.Path}' line {table.LineNumbers[row]}: column '{column.Name}' has '{table.Rows[row][index]}' where the model expects a finite number (leave it empty for a missing value)");
        }

        int label = table.IndexOf(fileLabel);
        if (label < 0)
        {
            if (labelRequired)
                throw CliException.DataError($"{option} '{table.Path}' has no label column '{fileLabel}' (columns: {Names(table.Header)})");
            return false;
        }

        for (int r = 0; r < table.Rows.Count; r++)
        {
            string value = table.Rows[r][label];
            string where = $"{option} '{table.Path}' line {table.LineNumbers[r]}";
            if (value.Length == 0)
                throw CliException.DataError($"{where}: label '{fileLabel}' is empty");
            if (info.Task == PredictionTask.Regression && !CsvSchemaInference.IsNumber(value))
                throw CliException.DataError($"{where}: label '{fileLabel}' has '{value}', but --task regression needs a finite number");
            if (info.Task != PredictionTask.Regression && !info.Classes.Contains(value, StringComparer.Ordinal))
                throw CliException.DataError($"{where}: label '{fileLabel}' has '{value}', which is not a class of the model ({Names(info.Classes)})");
        }
        return true;
    }

    /// <summary>
    /// Refuses a training file whose text feature column is really a numeric one with a few bad
    /// values (a typo would otherwise turn the whole column into categories).
    /// </summary>
    public static void CheckTextFeatures(CsvTable table, string option, IReadOnlyList<CsvColumn> columns, string label)
    {
        foreach (var column in columns.Where(c => c.Name != label && c.Kind == CsvColumnKind.Text))
        {
            int index = table.IndexOf(column.Name);
            if (!CsvSchemaInference.IsMostlyNumeric(table, index))
                continue;
            int row = CsvSchemaInference.FirstNonNumericRow(table, index);
            throw CliException.DataError($"{option} '{table.Path}' line {table.LineNumbers[row]}: column '{column.Name}' is numeric but has '{table.Rows[row][index]}', which is not a finite number; fix the value, or leave it empty for a missing value");
        }
    }

    /// <summary>Names for a message: <c>'a', 'b', 'c'</c>, cut after eight.</summary>
    public static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return string.Join(", ", list.Take(8).Select(n => $"'{n}'")) + (list.Count > 8 ? $", ... ({list.Count} in all)" : "");
    }
}
