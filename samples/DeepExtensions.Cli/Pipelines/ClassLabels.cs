using DeepExtensions.Cli.Commands;
using DeepExtensions.Cli.Csv;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>
/// Turns the label values of the training data into classes.
/// <para>
/// Binary: the label must have exactly two distinct values; the one that becomes <c>true</c> (the
/// positive class, whose probability <c>Probability</c> is) is chosen by this rule:
/// <list type="number">
/// <item><c>--positive VALUE</c> when given;</item>
/// <item>for true/false and yes/no (any case): true and yes;</item>
/// <item>for two numbers (0/1, -1/1, 1/2): the larger;</item>
/// <item>otherwise the value that sorts later alphabetically (benign/malignant → malignant).</item>
/// </list>
/// </para>
/// <para>Multiclass: the distinct values, in numeric order when they are all numbers, else in alphabetical (ordinal) order.</para>
/// </summary>
public static class ClassLabels
{
    private static readonly (string Negative, string Positive)[] NamedPairs = { ("false", "true"), ("no", "yes") };

    /// <summary>The distinct non-empty values of column <paramref name="column"/>, in order of first appearance.</summary>
    public static IReadOnlyList<string> DistinctValues(CsvTable table, int column) =>
        table.Rows.Select(r => r[column]).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>[negative, positive] for a binary label; see the class remarks for the rule.</summary>
    public static string[] Binary(IReadOnlyList<string> values, string label, string? positive)
    {
        if (values.Count != 2)
        {
            string found = string.Join(", ", values.Take(5).Select(v => $"'{v}'")) + (values.Count > 5 ? ", ..." : "");
            throw CliException.DataError(values.Count < 2
                ? $"--task binary needs two distinct values in label '{label}', found only {found}"
                : $"--task binary needs two distinct values in label '{label}', found {values.Count}: {found} (use --task multiclass)");
        }

        string a = values[0], b = values[1];
        if (positive is not null)
        {
            if (positive == a)
                return new[] { b, a };
            if (positive == b)
                return new[] { a, b };
            throw CliException.UsageError($"--positive '{positive}' is not a value of label '{label}' (values: '{a}', '{b}')");
        }

        foreach (var (negative, positiveName) in NamedPairs)
        {
            if (a.Equals(negative, StringComparison.OrdinalIgnoreCase) && b.Equals(positiveName, StringComparison.OrdinalIgnoreCase))
                return new[] { a, b };
            if (b.Equals(negative, StringComparison.OrdinalIgnoreCase) && a.Equals(positiveName, StringComparison.OrdinalIgnoreCase))
                return new[] { b, a };
        }

        if (CsvSchemaInference.TryParse(a, out double x) && CsvSchemaInference.TryParse(b, out double y) && x != y)
            return x < y ? new[] { a, b } : new[] { b, a };

        return Compare(a, b) < 0 ? new[] { a, b } : new[] { b, a };
    }

    /// <summary>The classes of a multiclass label, in key order.</summary>
    public static string[] Multiclass(IReadOnlyList<string> values, string label)
    {
        if (values.Count < 2)
            throw CliException.DataError($"--task multiclass needs at least two distinct values in label '{label}', found {values.Count}");
        bool numeric = values.All(v => CsvSchemaInference.TryParse(v, out _));
        return numeric
            ? values.OrderBy(v => { CsvSchemaInference.TryParse(v, out double d); return d; }).ThenBy(v => v, StringComparer.Ordinal).ToArray()
            : values.OrderBy(v => v, Comparer<string>.Create(Compare)).ToArray();
    }

    private static int Compare(string a, string b)
    {
        int c = StringComparer.OrdinalIgnoreCase.Compare(a, b);
        return c != 0 ? c : StringComparer.Ordinal.Compare(a, b);
    }
}
