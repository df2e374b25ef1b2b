using System.Globalization;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// Object detection metrics: COCO's twelve (as pycocotools' <c>COCOeval.stats</c>, same order in
/// <see cref="Stats"/>), COCO AP per class, and PASCAL VOC AP at IoU 0.5. A value that is undefined (no
/// ground truth to measure against) is -1, as in COCOeval.
/// </summary>
public sealed class DetectionMetrics
{
    internal DetectionMetrics(double[] stats, IReadOnlyDictionary<string, double> perClassAP, IReadOnlyDictionary<string, double> perClassVocAP50,
        double vocAP50, int images, int groundTruthObjects, int predictedObjects)
    {
        Stats = stats;
        PerClassAP = perClassAP;
        PerClassVocAP50 = perClassVocAP50;
        VocAP50 = vocAP50;
        Images = images;
        GroundTruthObjects = groundTruthObjects;
        PredictedObjects = predictedObjects;
    }

    /// <summary>The COCO metric names in <see cref="Stats"/> order.</summary>
    public static IReadOnlyList<string> StatNames { get; } = new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl" };

    /// <summary>The twelve COCO numbers in pycocotools' order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.</summary>
    public IReadOnlyList<double> Stats { get; }

    /// <summary>AP averaged over IoU 0.50:0.05:0.95, all areas, 100 detections per image.</summary>
    public double AP => Stats[0];

    /// <summary>AP at IoU 0.50.</summary>
    public double AP50 => Stats[1];

    /// <summary>AP at IoU 0.75.</summary>
    public double AP75 => Stats[2];

    /// <summary>AP for small objects (area ≤ 32²).</summary>
    public double APSmall => Stats[3];

    /// <summary>AP for medium objects (32² to 96²).</summary>
    public double APMedium => Stats[4];

    /// <summary>AP for large objects (≥ 96²).</summary>
    public double APLarge => Stats[5];

    /// <summary>Recall with 1 detection per image (and category), averaged over IoU 0.50:0.95 and categories.</summary>
    public double AR1 => Stats[6];

    /// <summary>Recall with 10 detections per image.</summary>
    public double AR10 => Stats[7];

    /// <summary>Recall with 100 detections per image.</summary>
    public double AR100 => Stats[8];

    /// <summary>AR100 for small objects.</summary>
    public double ARSmall => Stats[9];

    /// <summary>AR100 for medium objects.</summary>
    public double ARMedium => Stats[10];

    /// <summary>AR100 for large objects.</summary>
    public double ARLarge => Stats[11];

    /// <summary>COCO AP (IoU 0.50:0.95, all areas, 100 detections) per class name; -1 for classes without ground truth.</summary>
    public IReadOnlyDictionary<string, double> PerClassAP { get; }

    /// <summary>PASCAL VOC AP at IoU 0.5 (all-point interpolation), mean over classes with ground truth; -1 if none has.</summary>
    public double VocAP50 { get; }

    /// <summary>PASCAL VOC AP at IoU 0.5 per class name; -1 for classes without ground truth.</summary>
    public IReadOnlyDictionary<string, double> PerClassVocAP50 { get; }

    /// <summary>Images evaluated.</summary>
    public int Images { get; }

    /// <summary>Ground-truth objects (crowd regions included).</summary>
    public int GroundTruthObjects { get; }

    /// <summary>Predicted objects.</summary>
    public int PredictedObjects { get; }

    /// <summary>The summary pycocotools prints, one line per COCO number, then the VOC AP.</summary>
    public string ToSummary()
    {
        var lines = new StringBuilder();
        string[] iou = { "0.50:0.95", "0.50     ", "0.75     " };
        for (int i = 0; i < 12; i++)
        {
            bool precision = i < 6;
            string threshold = precision && i < 3 ? iou[i] : "0.50:0.95";
            string area = i switch { 3 or 9 => "small", 4 or 10 => "medium", 5 or 11 => "large", _ => "all" };
            int maxDets = i switch { 6 => 1, 7 => 10, _ => 100 };
            lines.Append(CultureInfo.InvariantCulture,
                $" Average {(precision ? "Precision" : "Recall   ")}  ({(precision ? "AP" : "AR")}) @[ IoU={threshold} | area={area,6} | maxDets={maxDets,3} ] = {Stats[i]:0.000}");
            lines.AppendLine();
        }
        lines.Append(CultureInfo.InvariantCulture, $" PASCAL VOC AP @[ IoU=0.50 (all points) ] = {VocAP50:0.000}");
        return lines.ToString();
    }
}
