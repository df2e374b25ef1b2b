using System.Text;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace DeepExtensions.Cli.Output;

/// <summary>
/// Semantic segmentation metrics as the one-line JSON object <c>evaluate --task semantic-segmentation</c> prints last on
/// stdout: <c>{"Task":"semantic-segmentation","Images":3,"Pixels":...,"PixelAccuracy":...,"MeanIoU":...,"MeanAccuracy":...,"PerClassIoU":{...}}</c>.
/// </summary>
public static class SegmentationMetricsJson
{
    public static string Format(SemanticSegmentationMetrics metrics, string task, int images)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Task", task);
            json.WriteNumber("Images", images);
            json.WriteNumber("Pixels", metrics.Pixels);
            json.WriteNumber("PixelAccuracy", metrics.PixelAccuracy);
            json.WriteNumber("MeanIoU", metrics.MeanIoU);
            json.WriteNumber("MeanAccuracy", metrics.MeanAccuracy);
            json.WriteStartObject("PerClassIoU");
            foreach (var (name, value) in metrics.PerClassIoU)
                json.WriteNumber(name, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
