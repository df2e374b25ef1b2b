using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// R-CNN's class-specific bounding-box regression (appendix C): for a region P of class c, a linear map of its features
/// φ(P) predicts the <see cref="BoxCoder"/> offsets <c>t = (dx, dy, dw, dh)</c> of the ground-truth box G it overlaps
/// (<c>dx = (Gx − Px)/Pw, dw = log(Gw/Pw)</c>, ...), fitted by ridge regression per class,
/// <c>W_c = argmin Σ |t − [φ, 1]·W|² + λ|W_φ|²</c> (the bias not penalized), on the regions overlapping a box by at least
/// the threshold. At scoring each region's box is moved by the offsets of the class it is scored for.
/// </summary>
internal sealed class RidgeBoxRegressor
{
    private static readonly BoxCoder Coder = new();

    /// <param name="weights"><c>[(D + 1), 4C]</c> row-major: the features' rows, then the bias row; columns dx dy dw dh per class.</param>
    /// <param name="featureSize">D.</param>
    /// <param name="classCount">C.</param>
    public RidgeBoxRegressor(float[] weights, int featureSize, int classCount)
    {
        if (weights.Length != (featureSize + 1) * 4 * classCount)
            throw new InvalidDataException($"Box regression weights must be {(featureSize + 1) * 4 * classCount} values for {featureSize} features and {classCount} classes, got {weights.Length}.");
        Weights = weights;
        FeatureSize = featureSize;
        ClassCount = classCount;
    }

    /// <summary><c>[(D + 1), 4C]</c> row-major.</summary>
    public float[] Weights { get; }

    public int FeatureSize { get; }

    public int ClassCount { get; }

    /// <summary>Fits one ridge regression per class.</summary>
    /// <param name="features"><c>[R, D]</c>.</param>
    /// <param name="boxes"><c>[R, 4]</c> the regions' boxes.</param>
    /// <param name="targets"><c>[R, 4]</c> the boxes they move onto.</param>
    /// <param name="classes"><c>[R]</c> int64: each region's class, −1 for regions that do not take part.</param>
    /// <param name="classCount">C.</param>
    /// <param name="ridge">λ.</param>
    /// <param name="pairs">Receives the number of training regions of each class (a class without any keeps its boxes).</param>
    public static RidgeBoxRegressor Fit(Tensor features, Tensor boxes, Tensor targets, Tensor classes, int classCount, double ridge, out int[] pairs)
    {
        using var scope = torch.NewDisposeScope();
        int d = (int)features.shape[1];
        var weights = torch.zeros(new long[] { d + 1, 4L * classCount }, ScalarType.Float64);
        var penalty = torch.eye(d + 1, dtype: ScalarType.Float64) * ridge;
        penalty[d, d] = torch.tensor(0.0, ScalarType.Float64);
        pairs = new int[classCount];
        for (int c = 0; c < classCount; c++)
        {
            var rows = (classes == c).nonzero().squeeze(1);
            pairs[c] = (int)rows.shape[0];
            if (pairs[c] == 0)
                continue;
            var x = Design(features.index_select(0, rows).to_type(ScalarType.Float64));
            var t = Coder.Encode(targets.index_select(0, rows), boxes.index_select(0, rows)).to_type(ScalarType.Float64);
            // A tiny ridge on the bias keeps a class with a handful of regions solvable.
            var gram = x.t().matmul(x) + penalty + torch.eye(d + 1, dtype: ScalarType.Float64) * 1e-6;
            weights[.., (4 * c)..(4 * c + 4)] = torch.linalg.solve(gram, x.t().matmul(t));
        }
        return new RidgeBoxRegressor(weights.to_type(ScalarType.Float32).contiguous().data<float>().ToArray(), d, classCount);
    }

    /// <summary>Every region's box moved for every class.</summary>
    /// <param name="features"><c>[K, D]</c>.</param>
    /// <param name="boxes"><c>[K, 4]</c> xyxy.</param>
    /// <returns><c>[K, C, 4]</c> xyxy.</returns>
    public Tensor Apply(Tensor features, Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.tensor(Weights, new long[] { FeatureSize + 1, 4L * ClassCount }, device: features.device);
        var codes = Design(features).matmul(w);
        return Coder.Decode(codes, boxes).view(boxes.shape[0], ClassCount, 4).MoveToOuterDisposeScope();
    }

    /// <summary><c>[φ, 1]</c>.</summary>
    private static Tensor Design(Tensor features) =>
        torch.cat(new[] { features, torch.ones(features.shape[0], 1, dtype: features.dtype, device: features.device) }, 1);
}
