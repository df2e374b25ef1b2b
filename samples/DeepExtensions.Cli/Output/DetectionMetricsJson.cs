using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Evaluation;

namespace DeepExtensions.Cli.Output;

/// <summary>
/// The one-line JSON object <c>deepext evaluate --task detection</c> prints last on stdout: the task, the counts,
/// COCO's twelve numbers under pycocotools' names and order (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100,
/// ARs, ARm, ARl; -1 when undefined), <c>PerClassAP</c> by class name, and <c>VocAP50</c>; for a Mask R-CNN the mask
/// (segmentation) metrics follow under the same names prefixed <c>Mask</c>.
/// </summary>
public static class DetectionMetricsJson
{
    /// <param name="metrics">The box metrics.</param>
    /// <param name="maskMetrics">For a detector that predicts masks, COCO's segmentation metrics: written after the box metrics under
    /// the same names prefixed <c>Mask</c> (MaskAP, MaskAP50, ..., MaskPerClassAP). Defaults to null (none).</param>
    public static string Format(DetectionMetrics metrics, DetectionMetrics? maskMetrics = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Task", "detection");
            json.WriteNumber("Images", metrics.Images);
            json.WriteNumber("GroundTruthObjects", metrics.GroundTruthObjects);
            json.WriteNumber("PredictedObjects", metrics.PredictedObjects);
            for (int i = 0; i < DetectionMetrics.StatNames.Count; i++)
                json.WriteNumber(DetectionMetrics.StatNames[i], metrics.Stats[i]);
            json.WriteStartObject("PerClassAP");
            foreach (var (name, ap) in metrics.PerClassAP)
                json.WriteNumber(name, ap);
            json.WriteEndObject();
            json.WriteNumber("VocAP50", metrics.VocAP50);
            if (maskMetrics is not null)
            {
                for (int i = 0; i < DetectionMetrics.StatNames.Count; i++)
                    json.WriteNumber("Mask" + DetectionMetrics.StatNames[i], maskMetrics.Stats[i]);
                json.WriteStartObject("MaskPerClassAP");
                foreach (var (name, ap) in maskMetrics.PerClassAP)
                    json.WriteNumber(name, ap);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The human summary printed before the JSON: COCOeval's twelve lines, VOC AP, then AP per class.</summary>
    public static string Summary(DetectionMetrics metrics)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{metrics.Images} images, {metrics.GroundTruthObjects} ground-truth objects, {metrics.PredictedObjects} detections");
        text.AppendLine(metrics.ToSummary());
        int width = Math.Max(5, metrics.PerClassAP.Keys.DefaultIfEmpty("").Max(k => k.Length));
        text.AppendLine(CultureInfo.InvariantCulture, $" {"class".PadRight(width)}  AP@[.50:.95]  VOC AP50");
        foreach (var (name, ap) in metrics.PerClassAP)
            text.AppendLine(CultureInfo.InvariantCulture, $" {name.PadRight(width)}  {ap,12:0.000}  {metrics.PerClassVocAP50[name],8:0.000}");
        return text.ToString().TrimEnd();
    }
}
