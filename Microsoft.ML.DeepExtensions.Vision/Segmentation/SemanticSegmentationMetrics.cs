using System.Globalization;
using System.Text;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// Semantic segmentation metrics from the confusion matrix <c>M[t, p]</c> (pixels of true class t predicted as p) over the
/// pixels whose label is not the ignore label, as torchvision's segmentation references compute them:
/// <list type="bullet">
/// <item><c>PixelAccuracy = Σ M[c, c] / Σ M</c>;</item>
/// <item><c>IoU(c) = M[c, c] / (Σ_p M[c, p] + Σ_t M[t, c] - M[c, c])</c>, -1 when class c is in neither the labels nor the predictions;</item>
/// <item><c>MeanIoU</c>: the mean of the defined IoUs (-1 when none is defined);</item>
/// <item><c>MeanAccuracy</c>: the mean over classes present in the labels of <c>M[c, c] / Σ_p M[c, p]</c>.</item>
/// </list>
/// </summary>
public sealed class SemanticSegmentationMetrics
{
    internal SemanticSegmentationMetrics(IReadOnlyList<string> classNames, long[,] confusion)
    {
        ClassNames = classNames;
        Confusion = confusion;
        int k = classNames.Count;
        long total = 0, correct = 0;
        var iou = new Dictionary<string, double>(StringComparer.Ordinal);
        var accuracies = new List<double>();
        var defined = new List<double>();
        for (int c = 0; c < k; c++)
        {
            long row = 0, column = 0;
            for (int j = 0; j < k; j++)
            {
                row += confusion[c, j];
                column += confusion[j, c];
                total += confusion[c, j];
            }
            correct += confusion[c, c];
            long union = row + column - confusion[c, c];
            double value = union == 0 ? -1 : (double)confusion[c, c] / union;
            iou[classNames[c]] = value;
            if (union > 0)
                defined.Add(value);
            if (row > 0)
                accuracies.Add((double)confusion[c, c] / row);
        }
        Pixels = total;
        PixelAccuracy = total == 0 ? -1 : (double)correct / total;
        PerClassIoU = iou;
        MeanIoU = defined.Count == 0 ? -1 : defined.Average();
        MeanAccuracy = accuracies.Count == 0 ? -1 : accuracies.Average();
    }

    /// <summary>The classes, in class-index order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary><c>[true class, predicted class]</c> pixel counts.</summary>
    public long[,] Confusion { get; }

    /// <summary>Pixels counted (not ignored).</summary>
    public long Pixels { get; }

    /// <summary>Share of counted pixels whose class is right; -1 when no pixel counts.</summary>
    public double PixelAccuracy { get; }

    /// <summary>Mean of the defined per-class IoUs; -1 when none is defined.</summary>
    public double MeanIoU { get; }

    /// <summary>Mean per-class accuracy (recall) over the classes present in the labels; -1 when none is.</summary>
    public double MeanAccuracy { get; }

    /// <summary>IoU by class name; -1 for a class in neither the labels nor the predictions.</summary>
    public IReadOnlyDictionary<string, double> PerClassIoU { get; }

    /// <summary>A few lines for people.</summary>
    public string ToSummary()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Pixel accuracy {PixelAccuracy:0.0000}, mean IoU {MeanIoU:0.0000}, mean class accuracy {MeanAccuracy:0.0000} over {Pixels:N0} pixels");
        foreach (var (name, value) in PerClassIoU)
            text.AppendLine(CultureInfo.InvariantCulture, $"  IoU {name}: {(value < 0 ? "-" : value.ToString("0.0000", CultureInfo.InvariantCulture))}");
        return text.ToString();
    }
}
