namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// What a batched transform computes over a batch of rows, bound to one input row (a cursor or a
/// <c>PredictionEngine</c> row): read the row's inputs into a slot, compute every filled slot at once,
/// then serve each slot's outputs through getters.
/// </summary>
/// <remarks>
/// <see cref="BatchedDataView"/> drives one per cursor (capacity = the batch size) and
/// <see cref="BatchedRowMapper"/> one per row (capacity 1), so a transform writes its batch logic
/// once and gets both the lazy batched <c>Transform</c> and <c>PredictionEngine</c> scoring.
/// Buffers are allocated once per instance and reused for every batch: memory stays flat over any
/// number of rows.
/// </remarks>
internal abstract class RowBatch : IDisposable
{
    protected RowBatch(int capacity)
    {
        if (capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"The batch capacity must be positive, got {capacity}.");
        Capacity = capacity;
    }

    /// <summary>Rows per batch.</summary>
    public int Capacity { get; }

    /// <summary>The slot whose outputs the getters return.</summary>
    public int Current { get; set; }

    /// <summary>Reads the bound row's current inputs into <paramref name="slot"/>.</summary>
    public abstract void Read(int slot);

    /// <summary>Computes the outputs of slots <c>0 .. rows-1</c> (<paramref name="rows"/> is at least 1).</summary>
    public abstract void Compute(int rows);

    /// <summary>
    /// A <c>ValueGetter&lt;T&gt;</c> of output column <paramref name="column"/> (of the transform's output
    /// schema) that returns slot <see cref="Current"/>'s value.
    /// </summary>
    public abstract Delegate CreateGetter(DataViewSchema.Column column);

    public virtual void Dispose()
    {
    }
}
