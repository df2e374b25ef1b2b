using OxyPlot;
using OxyPlot.SkiaSharp;
using SkiaSharp;

namespace DeepExtensions.Cli.Output.Charts;

/// <summary>
/// Renders OxyPlot charts into one PNG file, side by side in equal panels, on a white background.
/// The file is written like every deepext output (<see cref="OutputFile"/>): an existing file is
/// refused unless <c>overwrite</c> is set, and the PNG goes to a temporary file first, then is moved
/// into place, so a failed or cancelled run never leaves half an image.
/// </summary>
public static class ChartPng
{
    /// <summary>
    /// The charts' font: DejaVu Sans (Debian package <c>fonts-dejavu-core</c>, on almost every Linux
    /// system), rather than OxyPlot's default Segoe UI, which Linux lacks and would replace with
    /// whatever font it finds first.
    /// </summary>
    public const string FontFamily = "DejaVu Sans";

    /// <summary>Renders <paramref name="panels"/> left to right into a <paramref name="width"/>×<paramref name="height"/> PNG at <paramref name="path"/>.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="width">Image width in pixels, shared equally by the panels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="overwrite">Whether an existing file may be replaced (deepext's <c>--force</c>).</param>
    /// <param name="panels">The charts, at least one. After the call each one's <see cref="PlotModel.PlotArea"/> holds where its plot area was drawn, relative to its panel.</param>
    public static void Write(string path, int width, int height, bool overwrite, params PlotModel[] panels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (panels.Length == 0)
            throw new ArgumentException("At least one chart is needed.", nameof(panels));
        if (width < 100 * panels.Length || height < 100)
            throw new ArgumentOutOfRangeException(nameof(width), $"A chart image must be at least 100×100 pixels per panel, got {width}×{height} for {panels.Length} panel(s).");

        OutputFile.Write(path, "chart", overwrite, temp =>
        {
            using var bitmap = Render(width, height, panels);
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(temp);
            png.SaveTo(file);
        });
    }

    private static SKBitmap Render(int width, int height, PlotModel[] panels)
    {
        var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var context = new SkiaRenderContext { RenderTarget = RenderTarget.PixelGraphic, SkCanvas = canvas, UseTextShaping = true };
        double panelWidth = (double)width / panels.Length;
        for (int i = 0; i < panels.Length; i++)
        {
            IPlotModel panel = panels[i];
            canvas.Save();
            canvas.Translate((float)(i * panelWidth), 0);
            panel.Update(updateData: true);
            panel.Render(context, new OxyRect(0, 0, panelWidth, height));
            canvas.Restore();
        }
        canvas.Flush();
        return bitmap;
    }
}
