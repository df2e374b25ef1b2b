using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo.Training;

[TestClass]
public sealed class YoloTrainableDetectorTests
{
    private const int Size = 64;

    [TestMethod]
    public void NmsComparesTheDecodedBoxesAndClipsOnlyTheKeptOnes()
    {
        // Darknet's do_nms_sort compares boxes as decoded; the exported model must keep what Darknet keeps. Two boxes of
        // class 0 crossing the right border: as decoded their IoU is 1600 / 3200 = 0.5 > 0.45, so the weaker one goes;
        // clipped to the 64-pixel input first, their IoU would be 160 / 960 = 0.17 and both would stay.
        var detector = Detector(out var network);
        using var disposeNetwork = network;
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[] { 40, 10, 100, 50, 60, 10, 120, 50 }, new long[] { 2, 4 });
        var scores = torch.tensor(new float[] { 0.9f, 0, 0.8f, 0 }, new long[] { 2, 2 });

        var detections = detector.Select(boxes, scores);

        Assert.AreEqual(1, detections.Count);
        Assert.AreEqual(new DetectedObject(40, 10, Size, 50, 0, 0.9f), detections[0], "the kept box is clipped to the input");
    }

    [TestMethod]
    public void BoxesThatOnlyOverlapOutsideTheInputAreBothKept()
    {
        // The converse: as decoded, IoU 800 / 2200 = 0.36 keeps both, although their visible parts are the same pixels (IoU 1).
        var detector = Detector(out var network);
        using var disposeNetwork = network;
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[] { 44, 0, 84, 20, 44, 0, 154, 20 }, new long[] { 2, 4 });
        var scores = torch.tensor(new float[] { 0, 0.7f, 0, 0.6f }, new long[] { 2, 2 });

        var detections = detector.Select(boxes, scores);

        Assert.AreEqual(2, detections.Count);
        Assert.AreEqual(new DetectedObject(44, 0, Size, 20, 1, 0.7f), detections[0]);
        Assert.AreEqual(new DetectedObject(44, 0, Size, 20, 1, 0.6f), detections[1]);
    }

    private static YoloTrainableDetector Detector(out DarknetNetwork network)
    {
        var config = YoloArchitectures.Get("yolov3-tiny:width=0.25");
        config.SetInputSize(Size, Size, 3);
        config.SetClassCount(2);
        network = new DarknetNetwork(config);
        return new YoloTrainableDetector(network, network.YoloLayers, Size, new YoloThresholds(0.05f, 0.45f, 100));
    }
}
