using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// How many rows feed one gradient step. The cheat sheet's three kinds of gradient descent are
/// batch sizes: <see cref="Full"/> (batch gradient descent, the whole data set per step),
/// <see cref="Stochastic"/> (one row per step) and <see cref="Of(int)"/> (mini-batch).
/// </summary>
public readonly record struct BatchSize
{
    private BatchSize(int rows) => Rows = rows;

    /// <summary>Rows per step, or 0 for the whole data set.</summary>
    public int Rows { get; }

    /// <summary>True for batch gradient descent: every step sees the whole data set.</summary>
    public bool IsFull => Rows == 0;

    /// <summary>Batch gradient descent: one step per epoch over all rows.</summary>
    public static BatchSize Full { get; } = new(0);

    /// <summary>Stochastic gradient descent: one row per step.</summary>
    public static BatchSize Stochastic { get; } = new(1);

    /// <summary>Mini-batch gradient descent with <paramref name="rows"/> rows per step.</summary>
    public static BatchSize Of(int rows) => rows > 0
        ? new BatchSize(rows)
        : throw new ArgumentOutOfRangeException(nameof(rows), rows, $"BatchSize must be positive, got {rows}. Use BatchSize.Full for batch gradient descent.");

    /// <summary>Parses <c>all</c> (or <c>full</c>), <c>1</c> or a positive integer.</summary>
    public static BatchSize Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("all", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("full", StringComparison.OrdinalIgnoreCase))
            return Full;
        if (int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out int rows) && rows > 0)
            return Of(rows);
        throw new FormatException($"Batch size '{text}' is not valid: expected 'all', '1' or a positive integer.");
    }

    /// <summary>Rows per step for a data set of <paramref name="totalRows"/> rows.</summary>
    public int RowsFor(long totalRows) => IsFull ? (int)Math.Clamp(totalRows, 1, int.MaxValue) : Rows;

    public static implicit operator BatchSize(int rows) => Of(rows);

    public override string ToString() => IsFull ? "all" : Rows.ToString(CultureInfo.InvariantCulture);
}
