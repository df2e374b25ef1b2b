using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>Turns one ONNX Runtime call's outputs into the detections of each image of the call.</summary>
internal abstract class YoloOutputDecoder
{
    protected YoloOutputDecoder(float confidenceThreshold, float iouThreshold, bool classAgnostic, int maxDetections)
    {
        ConfidenceThreshold = confidenceThreshold;
        IouThreshold = iouThreshold;
        ClassAgnostic = classAgnostic;
        MaxDetections = maxDetections;
    }

    protected float ConfidenceThreshold { get; }

    protected float IouThreshold { get; }

    protected bool ClassAgnostic { get; }

    protected int MaxDetections { get; }

    /// <summary>Decodes images 0..<paramref name="images"/>-1 of the call into <paramref name="results"/>[offset + i].</summary>
    /// <param name="outputs">The call's outputs, in the order of the session's output names.</param>
    /// <param name="images">Real images in the call (a fixed-batch model may have been given padding slots after them).</param>
    /// <param name="mappings">Each image's letterbox.</param>
    /// <param name="candidates">Scratch lists, reused.</param>
    /// <param name="results">Where the detections go.</param>
    /// <param name="offset">Index in <paramref name="results"/> of the call's first image.</param>
    public abstract void Decode(IReadOnlyList<OrtValue> outputs, int images, ImageResizeMapping[] mappings,
        YoloCandidates candidates, ObjectDetections[] results, int offset);
}
