using OxyPlot;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Cli.Charts;

/// <summary>Reads a chart PNG back for content checks.</summary>
internal sealed class ChartPixels : IDisposable
{
    private readonly SKBitmap _bitmap;

    public ChartPixels(string path)
    {
        _bitmap = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' does not decode as an image.");
    }

    public int Width => _bitmap.Width;

    public int Height => _bitmap.Height;

    /// <summary>Pixels of the rectangle [x0, x1) × [y0, y1) within <paramref name="tolerance"/> of <paramref name="color"/> in every channel.</summary>
    public List<(int X, int Y)> Matching(OxyColor color, int x0, int y0, int x1, int y1, int tolerance = 40)
    {
        var found = new List<(int, int)>();
        for (int y = Math.Max(0, y0); y < Math.Min(Height, y1); y++)
        {
            for (int x = Math.Max(0, x0); x < Math.Min(Width, x1); x++)
            {
                var p = _bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - color.R) <= tolerance && Math.Abs(p.Green - color.G) <= tolerance && Math.Abs(p.Blue - color.B) <= tolerance)
                    found.Add((x, y));
            }
        }
        return found;
    }

    /// <summary>Mean luminance (0 black … 255 white) of the rectangle [x0, x1) × [y0, y1).</summary>
    public double Luminance(int x0, int y0, int x1, int y1)
    {
        double sum = 0;
        int count = 0;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                var p = _bitmap.GetPixel(x, y);
                sum += 0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue;
                count++;
            }
        }
        return sum / count;
    }

    /// <summary>Number of pixels darker than <paramref name="threshold"/> in the rectangle.</summary>
    public int DarkPixels(int x0, int y0, int x1, int y1, int threshold = 100)
    {
        int count = 0;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                var p = _bitmap.GetPixel(x, y);
                if (0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue < threshold)
                    count++;
            }
        }
        return count;
    }

    public void Dispose() => _bitmap.Dispose();
}
