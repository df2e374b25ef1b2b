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
    /// Whether <see cref="BatchedDataView"/> may compute this batch on a worker thread while it reads (and
    /// <see cref="Prepare"/>s) the next batch into a second instance: the computation then goes
    /// <see cref="Prepare"/> on the reading thread, <see cref="Run"/> on the worker, <see cref="Finish"/> on the reading
    /// thread. Only a batch whose <see cref="Run"/> touches nothing but its own buffers and thread-safe shared state (an
    /// ONNX Runtime session, a network in inference mode) may say yes. Defaults to false: <see cref="Compute"/> on the reading thread.
    /// </summary>
    public virtual bool RunsAhead => false;

    /// <summary>The part of the computation before the model runs (e.g. images into the network input), on the reading
    /// thread, right after the rows were read. Defaults to nothing.</summary>
    public virtual void Prepare(int rows)
    {
    }

    /// <summary>The part of the computation that may run on a worker thread (the model). Defaults to <see cref="Compute"/>.</summary>
    public virtual void Run(int rows) => Compute(rows);

    /// <summary>The part of the computation after the model ran (e.g. outputs mapped back to the images), on the reading
    /// thread, before the batch's rows are served. Defaults to nothing.</summary>
    public virtual void Finish(int rows)
    {
    }

    /// <summary>
    /// A <c>ValueGetter&lt;T&gt;</c> of output column <paramref name="column"/> (of the transform's output
    /// schema) that returns slot <see cref="Current"/>'s value.
    /// </summary>
    public abstract Delegate CreateGetter(DataViewSchema.Column column);

    public virtual void Dispose()
    {
    }
}
