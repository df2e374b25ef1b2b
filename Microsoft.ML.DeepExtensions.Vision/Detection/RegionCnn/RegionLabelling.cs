using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// One training image's regions and what each stage of R-CNN learns from them (Girshick et al., "Rich feature
/// hierarchies for accurate object detection and semantic segmentation", CVPR 2014, sections 2.3 and C): its
/// ground-truth boxes first, then its proposals, all in letterboxed pixels.
/// </summary>
/// <param name="ImageIndex">The image's position in the training data's used rows.</param>
/// <param name="Boxes"><c>[R, 4]</c> row-major xyxy: the <paramref name="GroundTruthCount"/> ground-truth boxes, then the proposals.</param>
/// <param name="GroundTruthCount">How many of the regions are ground-truth boxes.</param>
/// <param name="GroundTruthClasses">Class index of each ground-truth box.</param>
/// <param name="FineTuneLabels">Per region: 0 for background, <c>c + 1</c> when it overlaps a box of class <c>c</c> by at
/// least the fine-tuning threshold (the box it overlaps most).</param>
/// <param name="ClassOverlaps"><c>[R, C]</c> row-major: each region's largest IoU with a ground-truth box of each class
/// (0 when the image has none); the SVM of class c takes regions below its negative threshold as negatives.</param>
/// <param name="RegressionTargets">Per region: the ground-truth box (index into the first <paramref name="GroundTruthCount"/>)
/// it learns to move onto, or -1 when its best IoU is below the box regression threshold.</param>
internal sealed record LabelledRegions(int ImageIndex, float[] Boxes, int GroundTruthCount, int[] GroundTruthClasses,
    int[] FineTuneLabels, float[] ClassOverlaps, int[] RegressionTargets)
{
    /// <summary>Regions of the image.</summary>
    public int Count => FineTuneLabels.Length;

    /// <summary>Proposals that reach the fine-tuning threshold (ground-truth boxes not counted).</summary>
    public int OverlappingProposals => FineTuneLabels.Skip(GroundTruthCount).Count(l => l > 0);
}

/// <summary>
/// Labels regions by their IoU with the ground truth, with the thresholds of the three learning stages (the paper's
/// defaults: fine-tuning 0.5, SVM negatives 0.3, box regression 0.6), through the box toolkit's <see cref="BoxIou"/> and
/// <see cref="BoxMatcher"/>.
/// </summary>
internal sealed class RegionLabelling
{
    private readonly BoxMatcher _fineTune;
    private readonly BoxMatcher _regression;
    private readonly int _classCount;

    /// <param name="classCount">Object classes C.</param>
    /// <param name="fineTuneIou">IoU from which a region is its best box's class when fine-tuning.</param>
    /// <param name="regressionIou">IoU from which a region learns to move onto its best box.</param>
    public RegionLabelling(int classCount, double fineTuneIou, double regressionIou)
    {
        _classCount = classCount;
        _fineTune = new BoxMatcher(fineTuneIou, fineTuneIou);
        _regression = new BoxMatcher(regressionIou, regressionIou);
    }

    /// <summary>Labels an image's ground-truth boxes and proposals.</summary>
    /// <param name="imageIndex">The image's position.</param>
    /// <param name="truthBoxes">Its objects, xyxy, 4 per object.</param>
    /// <param name="truthClasses">Their class indices.</param>
    /// <param name="proposals">Its proposals, xyxy, 4 per proposal.</param>
    public LabelledRegions Label(int imageIndex, float[] truthBoxes, int[] truthClasses, float[] proposals)
    {
        int g = truthClasses.Length;
        var boxes = new float[truthBoxes.Length + proposals.Length];
        truthBoxes.CopyTo(boxes, 0);
        proposals.CopyTo(boxes, truthBoxes.Length);
        int count = boxes.Length / 4;
        var fineTune = new int[count];
        var regression = new int[count];
        var overlaps = new float[count * _classCount];
        if (g == 0)
        {
            Array.Fill(regression, -1);
            return new LabelledRegions(imageIndex, boxes, 0, truthClasses, fineTune, overlaps, regression);
        }
        using var scope = torch.NewDisposeScope();
        var truth = torch.tensor(truthBoxes, new long[] { g, 4 });
        var regions = torch.tensor(boxes, new long[] { count, 4 });
        var iou = BoxIou.Pairwise(truth, regions);
        var classOf = torch.tensor(truthClasses.Select(c => (long)c).ToArray());
        var fineTuneMatch = _fineTune.Match(iou);
        var labels = torch.where(fineTuneMatch >= 0, classOf.index_select(0, fineTuneMatch.clamp_min(0)) + 1, torch.zeros_like(fineTuneMatch));
        labels.data<long>().Select(l => (int)l).ToArray().CopyTo(fineTune, 0);
        _regression.Match(iou).data<long>().Select(m => (int)Math.Max(m, -1)).ToArray().CopyTo(regression, 0);
        var perClass = torch.zeros(new long[] { count, _classCount });
        foreach (int c in truthClasses.Distinct())
        {
            var rows = (classOf == c).nonzero().squeeze(1);
            perClass[.., c] = iou.index_select(0, rows).amax(new long[] { 0 });
        }
        perClass.contiguous().data<float>().CopyTo(overlaps, 0);
        return new LabelledRegions(imageIndex, boxes, g, truthClasses, fineTune, overlaps, regression);
    }
}
