using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// A trained R-CNN and how it scores (Girshick et al., 2014, section 2.2): selective search proposals of the letterboxed
/// image → each warped with context → CNN features → one linear SVM score per class → the class's box regression →
/// per-class non-maximum suppression → the best detections. Scores are the logistic of the SVM margin, <c>σ(w·φ + b)</c>
/// (a monotone map, margin 0 → 0.5), so the usual confidence threshold applies to them.
/// </summary>
internal sealed class RegionCnnModel : IDisposable
{
    private readonly float[] _svmWeights;
    private readonly float[] _svmBiases;
    private readonly RegionProposer _proposer;

    /// <param name="settings">Sizes, proposals and thresholds.</param>
    /// <param name="network">The CNN.</param>
    /// <param name="svmWeights"><c>[C, D]</c> row-major.</param>
    /// <param name="svmBiases"><c>[C]</c>.</param>
    /// <param name="regressor">The box regressors.</param>
    public RegionCnnModel(RegionCnnSettings settings, RegionFeatureNetwork network, float[] svmWeights, float[] svmBiases, RidgeBoxRegressor regressor)
    {
        int c = regressor.ClassCount, d = network.FeatureSize;
        if (svmBiases.Length != c || svmWeights.Length != c * d || regressor.FeatureSize != d)
            throw new InvalidDataException($"Corrupt R-CNN model: SVMs of {svmBiases.Length} classes and {svmWeights.Length} weights, box regression of {regressor.ClassCount} classes and {regressor.FeatureSize} features, for a CNN of {d} features.");
        Settings = settings;
        Network = network;
        _svmWeights = svmWeights;
        _svmBiases = svmBiases;
        Regressor = regressor;
        Warp = new RegionWarp(settings.WarpSize, settings.ContextPadding);
        _proposer = new RegionProposer(settings.ProposalMode, settings.MaxProposals, settings.MinProposalSize);
    }

    public RegionCnnSettings Settings { get; }

    public RegionFeatureNetwork Network { get; }

    public RegionWarp Warp { get; }

    public RidgeBoxRegressor Regressor { get; }

    public int ClassCount => _svmBiases.Length;

    /// <summary>Detections of a batch of letterboxed images.</summary>
    /// <param name="images"><c>[N, 3, S, S]</c> RGB in [0, 1], S = <c>Settings.ImageSize</c>.</param>
    /// <returns>One result per image, boxes in the letterboxed pixels, best first.</returns>
    public IReadOnlyList<ObjectDetections> Detect(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int n = (int)images.shape[0], side = (int)images.shape[2];
        var bytes = (images * 255f).round_().clamp_(0, 255).to_type(ScalarType.Byte).cpu().contiguous();
        var pixels = Enumerable.Range(0, n).Select(i => bytes[i].data<byte>().ToArray()).ToArray();
        var proposals = _proposer.Propose(pixels, side, CancellationToken.None);
        var device = images.device;
        var counts = proposals.Select(p => p.Length / 4).ToArray();
        int total = counts.Sum();
        var results = new ObjectDetections[n];
        if (total == 0)
        {
            Array.Fill(results, ObjectDetections.Empty);
            return results;
        }
        var boxes = torch.tensor(proposals.SelectMany(p => p).ToArray(), new long[] { total, 4 }, device: device);
        var owner = torch.tensor(counts.SelectMany((k, i) => Enumerable.Repeat((long)i, k)).ToArray(), device: device);
        Network.Module.eval();
        var features = Network.Features(Warp.Apply(images, owner, boxes));
        var weights = torch.tensor(_svmWeights, new long[] { ClassCount, Network.FeatureSize }, device: device);
        var scores = torch.sigmoid(features.matmul(weights.t()) + torch.tensor(_svmBiases, device: device));
        var moved = Regressor.Apply(features, boxes).clamp(0, side);
        for (int i = 0, start = 0; i < n; start += counts[i], i++)
            results[i] = Select(moved.narrow(0, start, counts[i]), scores.narrow(0, start, counts[i]));
        return results;
    }

    /// <summary>The candidates above the confidence threshold, per-class NMS, the best <c>MaxDetections</c>.</summary>
    private ObjectDetections Select(Tensor boxes, Tensor scores)
    {
        if (boxes.shape[0] == 0)
            return ObjectDetections.Empty;
        var keep = (scores > Settings.ConfidenceThreshold).nonzero();
        if (keep.shape[0] == 0)
            return ObjectDetections.Empty;
        var region = keep[.., 0];
        var classes = keep[.., 1];
        var flat = region * ClassCount + classes;
        var candidates = boxes.reshape(-1, 4).index_select(0, flat);
        var candidateScores = scores.reshape(-1).index_select(0, flat);
        // Boxes of no area (squeezed against the border by the regression) are no detections.
        var valid = (candidates[.., 2] > candidates[.., 0]).logical_and(candidates[.., 3] > candidates[.., 1]).nonzero().squeeze(1);
        candidates = candidates.index_select(0, valid);
        candidateScores = candidateScores.index_select(0, valid);
        classes = classes.index_select(0, valid);
        var kept = NonMaxSuppression.ApplyPerClass(candidates, candidateScores, classes, Settings.IouThreshold);
        if (kept.shape[0] > Settings.MaxDetections)
            kept = kept.narrow(0, 0, Settings.MaxDetections);
        return new ObjectDetections(
            candidates.index_select(0, kept).cpu().contiguous().data<float>().ToArray(),
            classes.index_select(0, kept).cpu().data<long>().Select(c => (int)c).ToArray(),
            candidateScores.index_select(0, kept).cpu().data<float>().ToArray());
    }

    /// <summary>Writes the settings, the CNN, the SVMs and the box regressors.</summary>
    public void Save(BinaryWriter writer)
    {
        Settings.Write(writer);
        Network.Save(writer);
        WriteFloats(writer, _svmWeights);
        WriteFloats(writer, _svmBiases);
        WriteFloats(writer, Regressor.Weights);
    }

    /// <summary>Reads what <see cref="Save"/> wrote, the CNN on <paramref name="device"/>.</summary>
    public static RegionCnnModel Load(BinaryReader reader, Device device, int classCount)
    {
        var settings = RegionCnnSettings.Read(reader);
        var network = RegionFeatureNetwork.Load(reader, device);
        try
        {
            var weights = ReadFloats(reader);
            var biases = ReadFloats(reader);
            if (biases.Length != classCount)
                throw new InvalidDataException($"Corrupt R-CNN model: {biases.Length} SVMs for {classCount} class names.");
            var regressor = new RidgeBoxRegressor(ReadFloats(reader), network.FeatureSize, classCount);
            return new RegionCnnModel(settings, network, weights, biases, regressor);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        foreach (float v in values)
            writer.Write(v);
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > 1 << 28)
            throw new InvalidDataException($"Corrupt R-CNN model: an array of {count} values.");
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = reader.ReadSingle();
        return values;
    }

    public void Dispose() => Network.Dispose();
}
