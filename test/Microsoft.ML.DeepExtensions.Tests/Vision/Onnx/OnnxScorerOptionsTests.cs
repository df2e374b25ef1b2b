using Microsoft.ML.DeepExtensions.Vision.Detection.Rcnn;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Onnx;

/// <summary>The settings every ONNX scorer shares (<see cref="OnnxScorerOptions"/>) are checked the same way by each of them, before any file is read.</summary>
[TestClass]
public class OnnxScorerOptionsTests
{
    public static IEnumerable<object[]> Scorers() => new[] { new object[] { "yolo" }, new object[] { "rcnn" }, new object[] { "segmenter" } };

    [TestMethod]
    [DynamicData(nameof(Scorers))]
    public void SharedSettingsAreRefusedByName(string scorer)
    {
        var ml = new MLContext(seed: 1);
        var noFile = Assert.ThrowsExactly<ArgumentException>(() => Create(ml, scorer, o => o.ModelPath = " "));
        Assert.AreEqual("ModelPath", noFile.ParamName);
        StringAssert.Contains(noFile.Message, "must name an ONNX file");

        var noImage = Assert.ThrowsExactly<ArgumentException>(() => Create(ml, scorer, o => o.ImageColumnName = ""));
        Assert.AreEqual("ImageColumnName", noImage.ParamName);

        var noBatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Create(ml, scorer, o => o.BatchSize = 0));
        Assert.AreEqual("BatchSize", noBatch.ParamName);
        StringAssert.Contains(noBatch.Message, "BatchSize must be at least 1, got 0");
    }

    [TestMethod]
    public void EachScorerKeepsItsOwnBatchDefault()
    {
        Assert.AreEqual(8, new YoloObjectDetector.Options().BatchSize, "YOLO exports usually have a dynamic batch axis");
        Assert.AreEqual(4, new RcnnObjectDetector.Options().BatchSize);
        Assert.AreEqual(4, new SemanticSegmenter.Options().BatchSize);
    }

    private static IDisposable Create(MLContext ml, string scorer, Action<OnnxScorerOptions> change)
    {
        const string missing = "/nonexistent/model.onnx";
        switch (scorer)
        {
            case "yolo":
            {
                var options = new YoloObjectDetector.Options { ModelPath = missing };
                change(options);
                return YoloObjectDetector.Create(ml, options);
            }
            case "rcnn":
            {
                var options = new RcnnObjectDetector.Options { ModelPath = missing };
                change(options);
                return RcnnObjectDetector.Create(ml, options);
            }
            default:
            {
                var options = new SemanticSegmenter.Options { ModelPath = missing };
                change(options);
                return SemanticSegmenter.Create(ml, options);
            }
        }
    }
}
