using Microsoft.ML.Data;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace DeepExtensions.Cli.Output.Charts;

/// <summary>
/// A PNG of a multiclass confusion matrix: one row per true class (top to bottom), one column per
/// predicted class (left to right), the count of rows in each cell, and each cell coloured by its
/// share of its row (white 0 → dark blue 1), so the diagonal shows each class's recall whatever the
/// class sizes.
/// </summary>
public static class ConfusionMatrixChart
{
    /// <summary>Writes the confusion matrix of an ML.NET evaluation (<c>MulticlassClassificationMetrics.ConfusionMatrix</c>) to the PNG file <paramref name="path"/>.</summary>
    /// <param name="confusionMatrix">The evaluation's confusion matrix.</param>
    /// <param name="classNames">Name of each class, in the order of the matrix (the label's key order).</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="overwrite">Whether an existing file may be replaced. Defaults to false.</param>
    public static void Write(ConfusionMatrix confusionMatrix, IReadOnlyList<string> classNames, string path, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(confusionMatrix);
        Write(confusionMatrix.Counts, classNames, path, overwrite);
    }

    /// <summary>Writes a confusion matrix given as counts (<c>counts[true class][predicted class]</c>) to the PNG file <paramref name="path"/>.</summary>
    /// <param name="counts">A square matrix of non-negative counts, rows by true class.</param>
    /// <param name="classNames">Name of each class, in the order of the matrix.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="overwrite">Whether an existing file may be replaced. Defaults to false.</param>
    public static void Write(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classNames, string path, bool overwrite = false)
    {
        var plot = CreatePlot(counts, classNames);
        int side = SideFor(classNames.Count);
        ChartPng.Write(path, side + 120, side, overwrite, plot);
    }

    /// <summary>Height of the image for <paramref name="classCount"/> classes; it is 120 pixels wider, for the colour scale.</summary>
    public static int SideFor(int classCount) => Math.Clamp(220 + 56 * classCount, 480, 2400);

    /// <summary>The chart: a heat map of row shares with the counts written in the cells.</summary>
    public static PlotModel CreatePlot(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        if (k == 0)
            throw new ArgumentException("classNames is empty: a confusion matrix needs at least one class.", nameof(classNames));
        if (counts.Count != k || counts.Any(row => row is null || row.Count != k))
            throw new ArgumentException(
                $"The confusion matrix must be {k}×{k} to match the {k} class names, got {counts.Count} rows of [{string.Join(", ", counts.Select(r => r?.Count ?? 0).Distinct())}] columns.", nameof(counts));
        if (counts.SelectMany(row => row).Any(c => !double.IsFinite(c) || c < 0))
            throw new ArgumentException("Confusion matrix counts must be finite and non-negative.", nameof(counts));

        var plot = new PlotModel { Title = "Confusion matrix", Subtitle = "rows: true class · cells: count · colour: share of the row", Background = OxyColors.White, DefaultFont = ChartPng.FontFamily };
        plot.Axes.Add(new CategoryAxis
        {
            Position = AxisPosition.Bottom,
            Title = "predicted class",
            ItemsSource = classNames,
            Angle = classNames.Any(n => n.Length > 4) ? -40 : 0,
            GapWidth = 0,
            IsPanEnabled = false,
            IsZoomEnabled = false,
        });
        plot.Axes.Add(new CategoryAxis
        {
            Position = AxisPosition.Left,
            Title = "true class",
            ItemsSource = classNames,
            StartPosition = 1,
            EndPosition = 0, // first class at the top, as a matrix is read
            GapWidth = 0,
            IsPanEnabled = false,
            IsZoomEnabled = false,
        });
        plot.Axes.Add(new LinearColorAxis
        {
            Position = AxisPosition.Right,
            Palette = OxyPalette.Interpolate(256, OxyColors.White, DarkBlue),
            Minimum = 0,
            Maximum = 1,
            MajorStep = 0.2,
            MinorTickSize = 0,
            Title = "share of row",
        });

        var shares = new double[k, k];
        for (int actual = 0; actual < k; actual++)
        {
            double rowTotal = counts[actual].Sum();
            for (int predicted = 0; predicted < k; predicted++)
            {
                // A class absent from the evaluated data has an empty row: all shares 0, not NaN.
                double share = rowTotal > 0 ? counts[actual][predicted] / rowTotal : 0;
                shares[predicted, actual] = share;
                plot.Annotations.Add(new TextAnnotation
                {
                    Text = counts[actual][predicted].ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
                    TextPosition = new DataPoint(predicted, actual),
                    TextHorizontalAlignment = HorizontalAlignment.Center,
                    TextVerticalAlignment = VerticalAlignment.Middle,
                    TextColor = share > 0.5 ? OxyColors.White : OxyColors.Black,
                    Stroke = OxyColors.Transparent,
                    Background = OxyColors.Transparent,
                    FontSize = k > 20 ? 9 : 12,
                });
            }
        }
        plot.Series.Add(new HeatMapSeries
        {
            X0 = 0,
            X1 = k - 1,
            Y0 = 0,
            Y1 = k - 1,
            Data = shares,
            Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles,
        });
        return plot;
    }

    private static readonly OxyColor DarkBlue = OxyColor.FromRgb(0x08, 0x30, 0x6B);
}
