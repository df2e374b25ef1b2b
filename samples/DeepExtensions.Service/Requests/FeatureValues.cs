using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepExtensions.Service.Models;
using DeepExtensions.Service.Scoring;
using Microsoft.ML.Data;
using Microsoft.Net.Http.Headers;

namespace DeepExtensions.Service.Requests;

/// <summary>
/// The feature values of a <c>POST /predict</c> for a model that reads columns: a JSON object
/// (<c>{"alcohol": 13.2, "color": "red"}</c>, <c>application/json</c>) or a CSV row (<c>text/csv</c>): a header
/// line and one row, or one row of the required columns in <c>GET /model</c>'s order. Every required column must
/// be given; a column the model does not know is refused; input columns the answer does not depend on (the label)
/// may be given and are ignored. Numbers are invariant-culture; an empty value (or JSON <c>null</c>) is a missing
/// one, as in the training CSV (numeric features are then replaced by the training mean); NaN and infinities are refused.
/// </summary>
public static class FeatureValues
{
    /// <summary>The values of the request whose body is <paramref name="body"/>, of each column's raw type.</summary>
    /// <exception cref="RequestException">415 for another content type; 400 for malformed text, a missing or unknown column, or a bad value.</exception>
    public static FeaturesRequest Read(string? contentType, byte[] body, ServedModel model)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
            throw Unsupported(contentType);
        string type = mediaType.MediaType.Value ?? "";
        IReadOnlyList<(string Name, FieldValue Value)> fields =
            type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase) ? FromJson(body)
            : type.Equals("text/csv", StringComparison.OrdinalIgnoreCase) || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase) ? FromCsv(body, model)
            : throw Unsupported(contentType);
        return new FeaturesRequest(Convert(fields, model));
    }

    /// <summary>A value as the request wrote it: text (CSV, JSON strings), a JSON number or Boolean, or missing.</summary>
    private readonly record struct FieldValue(string? Text, double? Number = null, bool? Boolean = null);

    private static Dictionary<string, object> Convert(IReadOnlyList<(string Name, FieldValue Value)> fields, ServedModel model)
    {
        var known = model.InputSchema.Where(c => !c.IsHidden).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var required = model.RequiredColumns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            if (!known.TryGetValue(name, out var column))
                throw RequestException.BadRequest($"Unknown column '{name}': the model reads {string.Join(", ", model.RequiredColumns.Select(c => c.Name))}.");
            if (!values.TryAdd(name, default!))
                throw RequestException.BadRequest($"Column '{name}' is given twice.");
            if (!required.Contains(name))
            {
                values.Remove(name); // e.g. the label: known to the model, not read when scoring
                continue;
            }
            values[name] = Parse(column, value);
        }
        var missing = model.RequiredColumns.Where(c => !values.ContainsKey(c.Name)).Select(c => c.Name).ToArray();
        if (missing.Length > 0)
            throw RequestException.BadRequest($"Missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}: the model reads {string.Join(", ", model.RequiredColumns.Select(c => c.Name))}.");
        return values;
    }

    private static object Parse(Microsoft.ML.DataViewSchema.Column column, FieldValue value)
    {
        var type = column.Type;
        if (type is TextDataViewType)
            return (value.Text ?? (value.Number is { } n ? n.ToString("R", CultureInfo.InvariantCulture) : value.Boolean?.ToString() ?? "")).AsMemory();
        if (type is BooleanDataViewType)
        {
            if (value.Boolean is { } b)
                return b;
            if (bool.TryParse(value.Text, out b))
                return b;
            throw RequestException.BadRequest($"Column '{column.Name}' must be true or false, got {Show(value)}.");
        }
        double number;
        if (value.Number is { } given)
            number = given;
        else if (value.Boolean is not null)
            throw RequestException.BadRequest($"Column '{column.Name}' must be a number, got {Show(value)}.");
        else if (string.IsNullOrWhiteSpace(value.Text) || value.Text.Trim() == "?")
            number = double.NaN; // missing, as an empty CSV field
        else if (!double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
            throw RequestException.BadRequest($"Column '{column.Name}' must be a finite number (or empty for a missing value), got {Show(value)}.");
        if (type == Microsoft.ML.Data.NumberDataViewType.Single)
        {
            float single = (float)number;
            if (float.IsInfinity(single))
                throw RequestException.BadRequest($"Column '{column.Name}' must be a finite single-precision number, got {Show(value)}.");
            return single;
        }
        return number;
    }

    private static string Show(FieldValue value) =>
        value.Text is { } text ? $"'{(text.Length > 40 ? text[..40] + "..." : text)}'" : value.Number?.ToString("R", CultureInfo.InvariantCulture) ?? value.Boolean?.ToString() ?? "null";

    private static List<(string, FieldValue)> FromJson(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw RequestException.BadRequest($"The body is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw RequestException.BadRequest($"The JSON body must be one object of feature values by column name, got {root.ValueKind}.");
            var fields = new List<(string, FieldValue)>();
            foreach (var property in root.EnumerateObject())
            {
                var v = property.Value;
                fields.Add((property.Name, v.ValueKind switch
                {
                    JsonValueKind.String => new FieldValue(v.GetString()),
                    JsonValueKind.Number => new FieldValue(null, v.GetDouble()),
                    JsonValueKind.True or JsonValueKind.False => new FieldValue(null, null, v.GetBoolean()),
                    JsonValueKind.Null => new FieldValue(null),
                    _ => throw RequestException.BadRequest($"Column '{property.Name}' must be a number, a string, a Boolean or null, got {v.ValueKind}."),
                }));
            }
            return fields;
        }
    }

    private static List<(string, FieldValue)> FromCsv(byte[] body, ServedModel model)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw RequestException.BadRequest("The CSV body is not UTF-8 text.");
        }
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        string[] header;
        string[] row;
        switch (lines.Length)
        {
            case 1:
                header = model.RequiredColumns.Select(c => c.Name).ToArray();
                row = SplitCsvLine(lines[0], 1);
                if (row.Length != header.Length)
                    throw RequestException.BadRequest($"The CSV row has {row.Length} values; without a header line it must hold the {header.Length} columns {string.Join(", ", header)} in that order.");
                break;
            case 2:
                header = SplitCsvLine(lines[0], 1);
                row = SplitCsvLine(lines[1], 2);
                if (row.Length != header.Length)
                    throw RequestException.BadRequest($"CSV line 2 has {row.Length} values, its header {header.Length}.");
                break;
            default:
                throw RequestException.BadRequest($"The CSV body must be one row, with or without a header line; it has {lines.Length} non-empty lines.");
        }
        return header.Zip(row, (name, value) => (name.Trim(), new FieldValue(value))).ToList();
    }

    /// <summary>Splits one CSV line (RFC 4180: commas, double-quoted fields with "" for a quote).</summary>
    private static string[] SplitCsvLine(string line, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"')
                    field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"')
                    field.Append(line[++i]);
                else
                    quoted = false;
            }
            else if (c == '"' && field.Length == 0)
                quoted = true;
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
                field.Append(c);
        }
        if (quoted)
            throw RequestException.BadRequest($"CSV line {lineNumber} has an unclosed quote.");
        fields.Add(field.ToString());
        return fields.ToArray();
    }

    private static RequestException Unsupported(string? contentType) => new(StatusCodes.Status415UnsupportedMediaType,
        $"Content-Type '{contentType}' is not accepted by a model that reads feature columns: send application/json (one object) or text/csv (one row).");
}
