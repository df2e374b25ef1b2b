using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Training;

/// <summary>
/// The per-epoch validation of a detector that predicts masks, on the COCO sample with polygon outlines (letterboxed from
/// 160 × 160 to 96 × 96): a detector that answers every image with its ground truth scores box AP and mask AP 1; the same
/// boxes with empty masks keep box AP 1 and score mask AP 0; a detector without masks gets box metrics only.
/// </summary>
[TestClass]
public sealed class DetectionObjectiveMaskTests
{
    [TestMethod]
    public void TheGroundTruthsMasksScoreOne_EmptyMasksZero_NoMasksNoMaskMetrics()
    {
        var (source, columns) = DetectionBatchSourceMaskTests.PreparedSource(imageSize: 96, "validation");
        var examples = source.Examples(CancellationToken.None).ToArray();
        Assert.IsTrue(examples.Sum(e => e.Classes.Length) > 0);

        var (boxes, masks) = DetectionObjective.Evaluate(new AnswerKey(examples, MaskAnswer.Truth), source, columns.ClassNames, batchSize: 3, CancellationToken.None);
        Assert.AreEqual(1.0, boxes.AP, 1e-9);
        Assert.IsNotNull(masks);
        Assert.AreEqual(1.0, masks.AP, 1e-9, "the ground truth's own masks, on the same letterboxed canvas");
        Assert.AreEqual(1.0, masks.AP50, 1e-9);

        (boxes, masks) = DetectionObjective.Evaluate(new AnswerKey(examples, MaskAnswer.Empty), source, columns.ClassNames, batchSize: 3, CancellationToken.None);
        Assert.AreEqual(1.0, boxes.AP, 1e-9, "the boxes are still right");
        Assert.IsNotNull(masks);
        Assert.AreEqual(0.0, masks.AP50, 1e-9, "empty masks overlap nothing");

        (boxes, masks) = DetectionObjective.Evaluate(new AnswerKey(examples, MaskAnswer.None), source, columns.ClassNames, batchSize: 3, CancellationToken.None);
        Assert.AreEqual(1.0, boxes.AP, 1e-9);
        Assert.IsNull(masks, "a detector without masks has no mask metrics");
    }

    private enum MaskAnswer
    {
        Truth,
        Empty,
        None,
    }

    /// <summary>Answers the images, in the source's order, with their ground truth (score 1) and the masks <see cref="MaskAnswer"/> says.</summary>
    private sealed class AnswerKey : TrainableDetector
    {
        private readonly DetectionExample[] _examples;
        private readonly MaskAnswer _masks;
        private readonly nn.Module _module = nn.Identity();
        private int _next;

        public AnswerKey(DetectionExample[] examples, MaskAnswer masks) => (_examples, _masks) = (examples, masks);

        public override nn.Module Module => _module;

        public override IReadOnlyList<string> LossPartNames => Array.Empty<string>();

        public override (Tensor Total, Tensor Parts) Loss(Tensor images, Tensor targets) => throw new NotSupportedException();

        public override IReadOnlyList<ObjectDetections> Detect(Tensor images)
        {
            var results = new ObjectDetections[images.shape[0]];
            for (int i = 0; i < results.Length; i++)
            {
                var example = _examples[_next++];
                var masks = _masks switch
                {
                    MaskAnswer.Truth => example.Masks,
                    MaskAnswer.Empty => example.Masks!.Select(m => new InstanceMask(m.Left, m.Top, m.Width, m.Height, new byte[m.Width * m.Height])).ToArray(),
                    _ => null,
                };
                results[i] = new ObjectDetections(example.Boxes, example.Classes, Enumerable.Repeat(1f, example.Classes.Length).ToArray(), masks);
            }
            return results;
        }
    }
}
