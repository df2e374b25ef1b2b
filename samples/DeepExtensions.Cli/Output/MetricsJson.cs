using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DeepExtensions.Cli.Output;

/// <summary>The metrics of one evaluation, under ML.NET's metric names.</summary>
/// <param name="Task">binary, multiclass or regression.</param>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="Metrics">Name and value, in the order they are printed.</param>
public sealed record MetricsReport(string Task, int Rows, IReadOnlyList<(string Name, double Value)> Metrics);

/// <summary>
/// Formats a <see cref="MetricsReport"/> as the one-line JSON object that train and evaluate print
/// last on stdout: <c>{"Task":"binary","Rows":114,"Accuracy":0.97,...}</c>. Numbers are written in
/// their shortest round-trip form (so equal metrics print equal text); NaN and infinities as null.
/// </summary>
public static class MetricsJson
{
    public static string Format(MetricsReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Task", report.Task);
            json.WriteNumber("Rows", report.Rows);
            foreach (var (name, value) in report.Metrics)
            {
                if (double.IsFinite(value))
                    json.WriteNumber(name, value);
                else
                    json.WriteNull(name);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A short human summary for stderr: <c>Accuracy 0.9737, AreaUnderRocCurve 0.9954, ...</c>.</summary>
    public static string Summary(MetricsReport report, int count = 4) =>
        string.Join(", ", report.Metrics.Take(count).Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name} {m.Value:G4}")));
}
