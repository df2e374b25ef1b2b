using System.Drawing;

namespace DeepExtensions.Cli.Haar;

/// <summary>How detections compare with the true boxes over a set of images.</summary>
/// <param name="Images">Images compared.</param>
/// <param name="Objects">True boxes.</param>
/// <param name="Found">True boxes matched by a detection.</param>
/// <param name="FalsePositives">Detections that match no true box.</param>
public sealed record DetectionScore(int Images, int Objects, int Found, int FalsePositives)
{
    /// <summary>Fraction of the true boxes found.</summary>
    public double HitRate => Objects == 0 ? 0 : (double)Found / Objects;

    /// <summary>Detections matching no true box, per image.</summary>
    public double FalsePositivesPerImage => Images == 0 ? 0 : (double)FalsePositives / Images;

    public DetectionScore Add(DetectionScore other) =>
        new(Images + other.Images, Objects + other.Objects, Found + other.Found, FalsePositives + other.FalsePositives);
}

/// <summary>
/// Matches detections to true boxes greedily by intersection over union (PASCAL VOC's rule): each
/// detection, in the order given, takes the unmatched true box it overlaps most if their IoU is at
/// least <see cref="MinIoU"/>; otherwise it is a false positive.
/// </summary>
public static class BoxMatching
{
    public const double MinIoU = 0.5;

    public static DetectionScore Score(IReadOnlyList<Rectangle> truth, IReadOnlyList<Rectangle> detections)
    {
        var matched = new bool[truth.Count];
        int falsePositives = 0;
        foreach (var detection in detections)
        {
            int best = -1;
            double bestIoU = MinIoU;
            for (int t = 0; t < truth.Count; t++)
            {
                double iou = IoU(truth[t], detection);
                if (!matched[t] && iou >= bestIoU)
                {
                    best = t;
                    bestIoU = iou;
                }
            }
            if (best < 0)
                falsePositives++;
            else
                matched[best] = true;
        }
        return new DetectionScore(1, truth.Count, matched.Count(m => m), falsePositives);
    }

    public static double IoU(Rectangle a, Rectangle b)
    {
        var intersection = Rectangle.Intersect(a, b);
        if (intersection.IsEmpty)
            return 0;
        double inter = (double)intersection.Width * intersection.Height;
        return inter / ((double)a.Width * a.Height + (double)b.Width * b.Height - inter);
    }
}
