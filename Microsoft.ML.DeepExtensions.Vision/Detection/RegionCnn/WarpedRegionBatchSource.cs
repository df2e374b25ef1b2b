using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// The fine-tuning data of R-CNN for the one <see cref="TrainingLoop"/>: mini-batches of warped regions with their
/// class (0 = background), a bounded share of them object regions (the paper's 32 positives and 96 background windows
/// per batch of 128, "because they are extremely rare compared to background").
/// </summary>
/// <remarks>
/// An epoch shows every object region (ground-truth boxes and proposals at the fine-tuning IoU) once, in the loop's
/// shuffled order, each batch filled up with background regions drawn at random, so it holds
/// <c>positives / PositiveFraction</c> regions. The object regions and background regions are warped once
/// (<see cref="RegionWarp"/>, one call per image) and kept as bytes (<c>3·W²</c> each) when they fit in the cache bound:
/// every background region, or a random pool of them at least three times the object regions; batches then only gather
/// them. When not even the object regions fit, each batch warps its regions from the letterboxed images.
/// </remarks>
internal sealed class WarpedRegionBatchSource : IBatchSource<TrainingBatch>, IDisposable
{
    private readonly Tensor _images;
    private readonly RegionWarp _warp;
    private readonly Device _device;
    private readonly double _positiveFraction;
    private readonly Random _backgroundRandom;
    private readonly int[] _positives;
    private readonly int[] _backgrounds;
    private readonly int[] _imageOf;
    private readonly float[] _boxes;
    private readonly long[] _labels;
    private readonly Tensor? _warped;
    private readonly int[] _warpedRow;

    /// <param name="images"><c>[N, 3, S, S]</c> byte RGB: the letterboxed training images, on the CPU.</param>
    /// <param name="regions">Every image's labelled regions.</param>
    /// <param name="warp">How regions become network inputs.</param>
    /// <param name="device">Where batches go.</param>
    /// <param name="positiveFraction">Share of object regions per batch.</param>
    /// <param name="seed">Seeds the draw of background regions.</param>
    /// <param name="cacheBytes">The most bytes the warped regions kept between batches may take.</param>
    public WarpedRegionBatchSource(Tensor images, IReadOnlyList<LabelledRegions> regions, RegionWarp warp, Device device, double positiveFraction, int seed, long cacheBytes)
    {
        _images = images;
        _warp = warp;
        _device = device;
        _positiveFraction = positiveFraction;
        _backgroundRandom = new Random(seed);
        int total = regions.Sum(r => r.Count);
        _imageOf = new int[total];
        _boxes = new float[4 * total];
        _labels = new long[total];
        var positives = new List<int>();
        var backgrounds = new List<int>();
        int k = 0;
        foreach (var image in regions)
        {
            image.Boxes.CopyTo(_boxes, 4 * k);
            for (int r = 0; r < image.Count; r++, k++)
            {
                _imageOf[k] = image.ImageIndex;
                _labels[k] = image.FineTuneLabels[r];
                (_labels[k] > 0 ? positives : backgrounds).Add(k);
            }
        }
        _positives = positives.ToArray();
        long regionBytes = 3L * warp.Size * warp.Size;
        long room = cacheBytes / regionBytes - _positives.Length;
        if (room >= Math.Min(backgrounds.Count, 3L * _positives.Length))
        {
            // Keep every background region, or a random pool of as many as fit.
            var pool = backgrounds.ToArray();
            if (pool.Length > room)
            {
                _backgroundRandom.Shuffle(pool);
                pool = pool.Take((int)room).Order().ToArray();
            }
            _backgrounds = pool;
            (_warped, _warpedRow) = Prewarp(images, regions, warp, _positives.Concat(pool).Order().ToArray(), total);
        }
        else
        {
            _backgrounds = backgrounds.ToArray();
            _warpedRow = Array.Empty<int>();
        }
        RowCount = _backgrounds.Length == 0 ? _positives.Length : (long)Math.Ceiling(_positives.Length / positiveFraction);
    }

    /// <summary>True when the regions were warped once and are kept as bytes.</summary>
    public bool IsPrewarped => _warped is not null;

    /// <summary>Warps the chosen regions (ascending region indices) image by image into one byte tensor; the row of each region, −1 if not chosen.</summary>
    private (Tensor Warped, int[] Row) Prewarp(Tensor images, IReadOnlyList<LabelledRegions> regions, RegionWarp warp, int[] chosen, int total)
    {
        var rows = new int[total];
        Array.Fill(rows, -1);
        for (int i = 0; i < chosen.Length; i++)
            rows[chosen[i]] = i;
        var warped = torch.empty(new long[] { chosen.Length, 3, warp.Size, warp.Size }, ScalarType.Byte);
        int next = 0;
        foreach (var group in chosen.GroupBy(k => _imageOf[k]))
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var members = group.ToArray();
            var boxes = new float[4 * members.Length];
            for (int j = 0; j < members.Length; j++)
                Array.Copy(_boxes, 4 * members[j], boxes, 4 * j, 4);
            var pixels = images[group.Key].unsqueeze(0).to_type(ScalarType.Float32).div_(255f);
            var result = warp.Apply(pixels, torch.zeros(members.Length, ScalarType.Int64), torch.tensor(boxes, new long[] { members.Length, 4 }));
            warped.narrow(0, next, members.Length).copy_(result.mul_(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte));
            next += members.Length;
        }
        return (warped, rows);
    }

    /// <summary>Object regions (ground truth included).</summary>
    public int PositiveCount => _positives.Length;

    /// <summary>Background regions.</summary>
    public int BackgroundCount => _backgrounds.Length;

    public long RowCount { get; }

    public IEnumerable<TrainingBatch> Batches(int batchSize, Random? shuffle, CancellationToken cancellation)
    {
        var order = (int[])_positives.Clone();
        shuffle?.Shuffle(order);
        int positivesPerBatch = _backgrounds.Length == 0 ? batchSize : Math.Max(1, (int)Math.Round(batchSize * _positiveFraction));
        for (int start = 0; start < order.Length; start += positivesPerBatch)
        {
            cancellation.ThrowIfCancellationRequested();
            int positives = Math.Min(positivesPerBatch, order.Length - start);
            // The last, short batch keeps the share of positives.
            int backgrounds = _backgrounds.Length == 0 ? 0 : (int)Math.Round(positives * (1 - _positiveFraction) / _positiveFraction);
            var chosen = new int[positives + backgrounds];
            Array.Copy(order, start, chosen, 0, positives);
            for (int i = positives; i < chosen.Length; i++)
                chosen[i] = _backgrounds[_backgroundRandom.Next(_backgrounds.Length)];
            yield return Batch(chosen);
        }
    }

    private TrainingBatch Batch(int[] chosen)
    {
        if (_warped is not null)
        {
            var index = torch.tensor(chosen.Select(k => (long)_warpedRow[k]).ToArray());
            var regions = _warped.index_select(0, index).to(_device).to_type(ScalarType.Float32).div_(255f);
            return new TrainingBatch(regions, torch.tensor(chosen.Select(k => _labels[k]).ToArray(), device: _device), chosen.Length);
        }
        // The batch's images once each, and each region's index among them.
        var images = chosen.Select(k => _imageOf[k]).Distinct().ToArray();
        var position = new Dictionary<int, int>(images.Length);
        for (int i = 0; i < images.Length; i++)
            position[images[i]] = i;
        var local = new long[chosen.Length];
        var boxes = new float[4 * chosen.Length];
        var labels = new long[chosen.Length];
        for (int i = 0; i < chosen.Length; i++)
        {
            int k = chosen[i];
            local[i] = position[_imageOf[k]];
            Array.Copy(_boxes, 4 * k, boxes, 4 * i, 4);
            labels[i] = _labels[k];
        }
        var pixels = _images.index_select(0, torch.tensor(images.Select(i => (long)i).ToArray())).to(_device).to_type(ScalarType.Float32).div_(255f);
        var warped = _warp.Apply(pixels, torch.tensor(local, device: _device), torch.tensor(boxes, new long[] { chosen.Length, 4 }, device: _device));
        return new TrainingBatch(warped, torch.tensor(labels, device: _device), chosen.Length);
    }

    public void Dispose() => _warped?.Dispose();
}
