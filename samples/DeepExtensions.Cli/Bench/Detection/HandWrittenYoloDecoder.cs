namespace DeepExtensions.Cli.Bench.Detection;

/// <summary>
/// The YOLOv8 decode a user writes next to ML.NET's <c>ApplyOnnxModel</c> (the baseline of the benchmark): walk
/// the <c>[84, 8400]</c> output candidate by candidate, keep the best class above the threshold, sort, greedy
/// per-class NMS with a pairwise IoU, map boxes back through the letterbox.
/// </summary>
internal static class HandWrittenYoloDecoder
{
    public static List<(float X0, float Y0, float X1, float Y1, int Class, float Score)> Decode(
        ReadOnlySpan<float> output, int classes, int candidates, float confidence, float iou,
        float scale, float padX, float padY)
    {
        var found = new List<(float X0, float Y0, float X1, float Y1, int Class, float Score)>();
        for (int n = 0; n < candidates; n++)
        {
            int best = 0;
            float bestScore = output[4 * candidates + n];
            for (int c = 1; c < classes; c++)
            {
                float s = output[(4 + c) * candidates + n];
                if (s > bestScore)
                {
                    bestScore = s;
                    best = c;
                }
            }
            if (bestScore <= confidence)
                continue;
            float cx = output[n], cy = output[candidates + n], w = output[2 * candidates + n], h = output[3 * candidates + n];
            found.Add(((cx - w / 2 - padX) / scale, (cy - h / 2 - padY) / scale, (cx + w / 2 - padX) / scale, (cy + h / 2 - padY) / scale, best, bestScore));
        }
        found.Sort((a, b) => b.Score.CompareTo(a.Score));
        var kept = new List<(float X0, float Y0, float X1, float Y1, int Class, float Score)>();
        foreach (var box in found)
        {
            bool suppressed = false;
            foreach (var k in kept)
            {
                if (k.Class == box.Class && Iou(k, box) > iou)
                {
                    suppressed = true;
                    break;
                }
            }
            if (!suppressed)
                kept.Add(box);
        }
        return kept;
    }

    private static float Iou((float X0, float Y0, float X1, float Y1, int, float) a, (float X0, float Y0, float X1, float Y1, int, float) b)
    {
        float w = Math.Max(0, Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0));
        float h = Math.Max(0, Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0));
        float inter = w * h;
        float union = (a.X1 - a.X0) * (a.Y1 - a.Y0) + (b.X1 - b.X0) * (b.Y1 - b.Y0) - inter;
        return union > 0 ? inter / union : 0;
    }
}
