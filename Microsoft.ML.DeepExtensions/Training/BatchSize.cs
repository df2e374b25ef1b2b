using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// How many rows feed one gradient step. The cheat sheet's three kinds of gradient descent are
/// batch sizes: <see cref="Full"/> (batch gradient descent, the whole data set per step),
/// <see cref="Stochastic"/> (one row per step) and <see cref="Of(int)"/> (mini-batch).
/// <see cref="Auto"/> is scikit-learn's choice for its MLPs: mini-batches of 200 rows, or the
/// whole data set when it is smaller.
/// </summary>
public readonly record struct BatchSize
{
    private BatchSize(int rows) => Rows = rows;

    private const int AutoRows = 200;

    /// <summary>Rows per step; 0 for the whole data set, -1 for <see cref="Auto"/>.</summary>
    public int Rows { get; }

    /// <summary>True for batch gradient descent: every step sees the whole data set.</summary>
    public bool IsFull => Rows == 0;

    /// <summary>True for <see cref="Auto"/>.</summary>
    public bool IsAuto => Rows == -1;

    /// <summary>Mini-batches of min(200, rows), as scikit-learn's MLPClassifier and MLPRegressor.</summary>
    public static BatchSize Auto { get; } = new(-1);

    /// <summary>Batch gradient descent: one step per epoch over all rows.</summary>
    public static BatchSize Full { get; } = new(0);

    /// <summary>Stochastic gradient descent: one row per step.</summary>
    public static BatchSize Stochastic { get; } = new(1);

    /// <summary>Mini-batch gradient descent with <paramref name="rows"/> rows per step.</summary>
    public static BatchSize Of(int rows) => rows > 0
        ? new BatchSize(rows)
        : throw new ArgumentOutOfRangeException(nameof(rows), rows, $"BatchSize must be positive, got {rows}. Use BatchSize.Full for batch gradient descent.");

    /// <summary>Parses <c>auto</c>, <c>all</c> (or <c>full</c>), <c>1</c> or a positive integer.</summary>
    public static BatchSize Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("all", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("full", StringComparison.OrdinalIgnoreCase))
            return Full;
        if (trimmed.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return Auto;
        if (int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out int rows) && rows > 0)
            return Of(rows);
        throw new FormatException($"Batch size '{text}' is not valid: expected 'auto', 'all', '1' or a positive integer.");
    }

    /// <summary>Rows per step for a data set of <paramref name="totalRows"/> rows.</summary>
    public int RowsFor(long totalRows) => IsFull ? (int)Math.Clamp(totalRows, 1, int.MaxValue)
        : IsAuto ? (int)Math.Clamp(totalRows, 1, AutoRows)
        : Rows;

    public static implicit operator BatchSize(int rows) => Of(rows);

    public override string ToString() => IsFull ? "all" : IsAuto ? "auto" : Rows.ToString(CultureInfo.InvariantCulture);
}
