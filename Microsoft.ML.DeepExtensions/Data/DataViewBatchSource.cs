using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Data;

/// <summary>One mini-batch: features <c>[rows, ...shape]</c> and targets <c>[rows]</c> on the training device.</summary>
internal readonly record struct TrainingBatch(Tensor Features, Tensor Targets, int Rows);

/// <summary>
/// Streams training batches out of an <see cref="IDataView"/>: the one data path from ML.NET
/// columns to tensors that every trainer uses.
/// </summary>
/// <remarks>
/// A first pass counts the usable rows and, when the converted tensors fit in
/// <c>cacheLimitBytes</c>, keeps them (on the training device when it has room), so later epochs
/// only gather rows by a permutation. Larger data is re-read from the <see cref="IDataView"/>
/// every epoch and shuffled through a bounded pool, so it trains in constant memory. Rows with a
/// missing label or a non-finite feature are skipped and counted. Shuffling draws only from the
/// <see cref="Random"/> it is given, so a seed makes epochs repeatable.
/// </remarks>
internal sealed class DataViewBatchSource : IBatchSource<TrainingBatch>, IDisposable
{
    private const int ShufflePoolRowsLimit = 1 << 16;

    private readonly IDataView _data;
    private readonly TensorColumn _features;
    private readonly LabelColumn _label;
    private readonly Device _device;
    private readonly long _cacheLimitBytes;
    private Tensor? _cachedFeatures;
    private Tensor? _cachedTargets;

    public DataViewBatchSource(IDataView data, TensorColumn features, LabelColumn label, Device device, long cacheLimitBytes)
    {
        _data = data;
        _features = features;
        _label = label;
        _device = device;
        _cacheLimitBytes = cacheLimitBytes;
    }

    /// <summary>Rows used for training (known after <see cref="Prepare"/>).</summary>
    public long RowCount { get; private set; }

    /// <summary>Rows skipped for a missing label or feature value.</summary>
    public long SkippedRows { get; private set; }

    /// <summary>Mean of the usable rows' targets (known after <see cref="Prepare"/>).</summary>
    public double TargetMean { get; private set; }

    /// <summary>Population standard deviation of the usable rows' targets (known after <see cref="Prepare"/>).</summary>
    public double TargetStandardDeviation { get; private set; }

    /// <summary>True when the tensors are held in memory rather than re-read each epoch.</summary>
    public bool IsCached => _cachedFeatures is not null;

    private ScalarType TargetType => _label.Task == PredictionTask.MulticlassClassification ? ScalarType.Int64 : ScalarType.Float32;

    /// <summary>First pass over the data: counts rows and caches them when they fit.</summary>
    public void Prepare(CancellationToken cancellation)
    {
        int size = _features.Size;
        long bytesPerRow = 4L * (size + 1);
        bool caching = true;
        var features = new List<float[]>();
        var targets = new List<float>();
        var chunk = new float[Math.Max(size, 1) * 1024];
        int chunkRows = 0;
        long rows = 0, skipped = 0;
        double mean = 0, sumOfSquares = 0;

        using (var cursor = _data.GetRowCursor(new[] { _data.Schema[_features.Name], _data.Schema[_label.Name] }))
        {
            var readFeatures = _features.CreateReader(cursor);
            var readLabel = _label.CreateReader(cursor);
            var row = new float[size];
            while (cursor.MoveNext())
            {
                if ((rows & 1023) == 0)
                    cancellation.ThrowIfCancellationRequested();
                float target = readLabel();
                // Read straight into the cache; a skipped row is overwritten by the next one.
                var destination = caching ? chunk.AsSpan(chunkRows * size, size) : row;
                if (float.IsNaN(target) || !readFeatures(destination))
                {
                    skipped++;
                    continue;
                }
                rows++;
                double delta = target - mean; // Welford: stable in one pass
                mean += delta / rows;
                sumOfSquares += delta * (target - mean);
                if (!caching)
                    continue;
                if (rows * bytesPerRow > _cacheLimitBytes)
                {
                    caching = false;
                    features.Clear();
                    targets.Clear();
                    continue;
                }
                targets.Add(target);
                if (++chunkRows * size >= chunk.Length)
                {
                    features.Add(chunk);
                    chunk = new float[chunk.Length];
                    chunkRows = 0;
                }
            }
        }

        RowCount = rows;
        SkippedRows = skipped;
        TargetMean = mean;
        TargetStandardDeviation = rows > 0 ? Math.Sqrt(sumOfSquares / rows) : 0;
        if (rows == 0)
            throw new InvalidOperationException(skipped == 0
                ? "The training data is empty."
                : $"All {skipped} training rows have a missing label or a missing/non-finite value in column '{_features.Name}'.");
        if (!caching)
            return;

        var all = new float[rows * size];
        long offset = 0;
        foreach (var full in features)
        {
            Array.Copy(full, 0, all, offset, full.Length);
            offset += full.Length;
        }
        Array.Copy(chunk, 0, all, offset, chunkRows * size);

        features.Clear();

        // from_array makes the array the tensor's storage; torch.tensor would copy it once more.
        var shape = new long[] { rows }.Concat(_features.Shape).ToArray();
        using var scope = torch.NewDisposeScope();
        _cachedFeatures = MoveToDeviceOrKeep(torch.from_array(all).view(shape)).DetachFromDisposeScope();
        _cachedTargets = MoveToDeviceOrKeep(torch.from_array(targets.ToArray()).to_type(TargetType)).DetachFromDisposeScope();
    }

    private Tensor MoveToDeviceOrKeep(Tensor tensor)
    {
        if (_device.type == DeviceType.CPU)
            return tensor;
        try
        {
            return tensor.to(_device);
        }
        catch (Exception)
        {
            // The device has no room for the whole data set: keep it on the host, in page-locked
            // memory so each batch's copy to the device runs asynchronously.
            return PinnedOrSelf(tensor);
        }
    }

    /// <summary>
    /// The batches of one epoch, shuffled by <paramref name="shuffle"/> when given. Tensors are
    /// created inside <c>MoveNext</c>, so a caller that opens a dispose scope before each
    /// <c>MoveNext</c> owns them through that scope.
    /// </summary>
    public IEnumerable<TrainingBatch> Batches(int batchSize, Random? shuffle, CancellationToken cancellation)
    {
        if (RowCount == 0)
            throw new InvalidOperationException("Prepare must run before Batches.");
        return IsCached ? CachedBatches(batchSize, shuffle) : StreamedBatches(batchSize, shuffle, cancellation);
    }

    private IEnumerable<TrainingBatch> CachedBatches(int batchSize, Random? shuffle)
    {
        long rows = RowCount;
        Tensor? order = null;
        if (shuffle is not null)
        {
            var permutation = Permutation(rows, shuffle);
            order = torch.tensor(permutation, device: _cachedFeatures!.device);
            order.DetachFromDisposeScope();
        }
        try
        {
            for (long start = 0; start < rows; start += batchSize)
            {
                long count = Math.Min(batchSize, rows - start);
                Tensor x, y;
                if (order is null)
                {
                    x = _cachedFeatures!.narrow(0, start, count);
                    y = _cachedTargets!.narrow(0, start, count);
                }
                else
                {
                    using var index = order.narrow(0, start, count);
                    x = _cachedFeatures!.index_select(0, index);
                    y = _cachedTargets!.index_select(0, index);
                }
                yield return new TrainingBatch(ToDevice(x), ToDevice(y), (int)count);
            }
        }
        finally
        {
            order?.Dispose();
        }
    }

    /// <summary>
    /// The tensor on the training device. Host tensors are copied with <c>non_blocking</c>, which
    /// overlaps the copy with computation only from page-locked memory: cached host data is pinned
    /// once, and streamed batches are pinned here before their copy.
    /// </summary>
    private Tensor ToDevice(Tensor tensor)
    {
        if (tensor.device_type == _device.type && tensor.device_index == _device.index)
            return tensor;
        var source = tensor.is_pinned() ? tensor : PinnedOrSelf(tensor);
        return source.to(_device, non_blocking: true);
    }

    private static Tensor PinnedOrSelf(Tensor tensor)
    {
        try
        {
            return tensor.pin_memory();
        }
        catch (Exception)
        {
            // Pinning needs a CUDA-capable LibTorch; without one a plain (synchronous) copy still works.
            return tensor;
        }
    }

    private static long[] Permutation(long rows, Random random)
    {
        var permutation = new long[rows];
        for (long i = 0; i < rows; i++)
            permutation[i] = i;
        for (long i = rows - 1; i > 0; i--)
        {
            long j = random.NextInt64(i + 1);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }

    private IEnumerable<TrainingBatch> StreamedBatches(int batchSize, Random? shuffle, CancellationToken cancellation)
    {
        int size = _features.Size;
        int poolRows = shuffle is null ? 0 : (int)Math.Clamp(_cacheLimitBytes / (4L * (size + 1)), 1, ShufflePoolRowsLimit);
        var pool = new float[(long)poolRows * size];
        var poolTargets = new float[poolRows];
        int inPool = 0;

        var batch = new float[(long)batchSize * size];
        var batchTargets = new float[batchSize];
        int inBatch = 0;
        var shape = new long[] { 0 }.Concat(_features.Shape).ToArray();

        TrainingBatch Emit()
        {
            shape[0] = inBatch;
            var x = torch.tensor(batch.AsSpan(0, inBatch * size).ToArray(), shape);
            var y = torch.tensor(batchTargets.AsSpan(0, inBatch).ToArray()).to_type(TargetType);
            var result = new TrainingBatch(ToDevice(x), ToDevice(y), inBatch);
            inBatch = 0;
            return result;
        }

        using var cursor = _data.GetRowCursor(new[] { _data.Schema[_features.Name], _data.Schema[_label.Name] });
        var readFeatures = _features.CreateReader(cursor);
        var readLabel = _label.CreateReader(cursor);
        var row = new float[size];
        long seen = 0;
        while (cursor.MoveNext())
        {
            if ((++seen & 1023) == 0)
                cancellation.ThrowIfCancellationRequested();
            float target = readLabel();
            if (float.IsNaN(target) || !readFeatures(row))
                continue;
            if (shuffle is null)
            {
                row.CopyTo(batch, (long)inBatch * size);
                batchTargets[inBatch++] = target;
            }
            else if (inPool < poolRows)
            {
                row.CopyTo(pool, (long)inPool * size);
                poolTargets[inPool++] = target;
                continue;
            }
            else
            {
                // Emit a random pooled row and put the new one in its place.
                int pick = shuffle.Next(poolRows);
                Array.Copy(pool, (long)pick * size, batch, (long)inBatch * size, size);
                batchTargets[inBatch++] = poolTargets[pick];
                row.CopyTo(pool, (long)pick * size);
                poolTargets[pick] = target;
            }
            if (inBatch == batchSize)
                yield return Emit();
        }

        // Drain the pool in random order.
        while (inPool > 0)
        {
            int pick = shuffle!.Next(inPool);
            Array.Copy(pool, (long)pick * size, batch, (long)inBatch * size, size);
            batchTargets[inBatch++] = poolTargets[pick];
            inPool--;
            Array.Copy(pool, (long)inPool * size, pool, (long)pick * size, size);
            poolTargets[pick] = poolTargets[inPool];
            if (inBatch == batchSize)
                yield return Emit();
        }
        if (inBatch > 0)
            yield return Emit();
    }

    public void Dispose()
    {
        _cachedFeatures?.Dispose();
        _cachedTargets?.Dispose();
        _cachedFeatures = null;
        _cachedTargets = null;
    }
}
