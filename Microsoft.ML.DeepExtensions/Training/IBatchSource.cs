namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// Where the training loop gets its batches: tabular rows and labels, images with their objects, any batch
/// a <see cref="TrainingObjective{TBatch}"/> understands.
/// </summary>
/// <typeparam name="TBatch">One mini-batch, its tensors already on the training device.</typeparam>
internal interface IBatchSource<TBatch>
{
    /// <summary>Rows (images, records) per epoch.</summary>
    long RowCount { get; }

    /// <summary>
    /// The batches of one epoch, shuffled by <paramref name="shuffle"/> when given. Tensors are created inside
    /// <c>MoveNext</c>, so a caller that opens a dispose scope before each <c>MoveNext</c> owns them through it.
    /// </summary>
    IEnumerable<TBatch> Batches(int batchSize, Random? shuffle, CancellationToken cancellation);
}
