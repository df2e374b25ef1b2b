using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>
/// Whether the proposals can teach the CNN where objects are: when no proposal of any training image overlaps an object
/// by the fine-tuning IoU, R-CNN cannot learn to score proposals (at scoring it only sees proposals), so the data is
/// refused; images with objects but no such proposal are named in a warning (their objects are learnt from the
/// ground-truth boxes alone).
/// </summary>
internal static class RegionOverlapCheck
{
    private const int NamedImages = 10;

    /// <summary>Throws when no proposal overlaps any object; warns about the images with objects that no proposal overlaps.</summary>
    public static void Check(IReadOnlyList<LabelledRegions> images, float iouThreshold, int maxProposals, SelectiveSearchMode mode, IChannel channel)
    {
        var withObjects = images.Where(i => i.GroundTruthCount > 0).ToArray();
        if (withObjects.Length == 0)
            return;
        var missed = withObjects.Where(i => i.OverlappingProposals == 0).Select(i => i.ImageIndex + 1).ToArray();
        string advice = $"Try ProposalMode Quality (now {mode}), more proposals (MaxProposals, now {maxProposals}) or a lower FineTuneIouThreshold (now {iouThreshold}).";
        if (missed.Length == withObjects.Length)
            throw new InvalidDataException(
                $"No proposal overlaps any object: selective search's proposals of all {withObjects.Length} training images with objects reach IoU {iouThreshold} (FineTuneIouThreshold) with none of their {withObjects.Sum(i => i.GroundTruthCount)} objects, so R-CNN cannot learn to score proposals. {advice}");
        if (missed.Length > 0)
            channel.Warning(MessageSensitivity.None,
                $"{missed.Length} of {withObjects.Length} training images with objects have no proposal at IoU >= {iouThreshold} with an object (images {string.Join(", ", missed.Take(NamedImages))}{(missed.Length > NamedImages ? ", ..." : "")}, counted from 1 among the used rows); their objects are learnt from the ground-truth boxes alone. {advice}");
    }
}
