using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// The SVMs' current training sets as batches for the one <see cref="TrainingLoop"/>: every cached region that is a
/// positive or an active negative of at least one class, with its features and a <c>[n, C]</c> target of 1 (positive),
/// 0 (negative) or −1 (not in that class's set), see <see cref="LinearSvmObjective"/>.
/// </summary>
internal sealed class SvmTrainingSetSource : IBatchSource<TrainingBatch>
{
    private readonly Tensor _features;
    private readonly Tensor _targets;
    private readonly long[] _rows;

    /// <param name="features"><c>[R, D]</c> features of all cached regions.</param>
    /// <param name="targets"><c>[R, C]</c> 1 / 0 / −1 per region and class.</param>
    public SvmTrainingSetSource(Tensor features, Tensor targets)
    {
        _features = features;
        _targets = targets;
        using var scope = torch.NewDisposeScope();
        _rows = (targets >= 0).any(1).nonzero().squeeze(1).data<long>().ToArray();
    }

    public long RowCount => _rows.Length;

    public IEnumerable<TrainingBatch> Batches(int batchSize, Random? shuffle, CancellationToken cancellation)
    {
        var order = (long[])_rows.Clone();
        shuffle?.Shuffle(order);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, order.Length - start);
            var index = torch.tensor(order.AsSpan(start, n).ToArray());
            yield return new TrainingBatch(_features.index_select(0, index), _targets.index_select(0, index), n);
        }
    }
}
