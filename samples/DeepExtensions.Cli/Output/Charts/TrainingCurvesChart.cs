using Microsoft.ML.DeepExtensions.Training;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace DeepExtensions.Cli.Output.Charts;

/// <summary>
/// A PNG of how training went, epoch by epoch, from a trainer's <c>TrainingHistory</c>: on the left
/// the training loss and (with validation data) the validation loss; on the right, when the history
/// has one, the task's metric (accuracy for classification, RMSE for regression) on the training
/// batches and on the validation data. Training curves are blue, validation curves orange. A dotted
/// line marks the last epoch whose monitored loss improved (whose weights a run with validation data keeps).
/// </summary>
public static class TrainingCurvesChart
{
    /// <summary>Height of the image in pixels.</summary>
    public const int Height = 480;

    /// <summary>Width of one panel in pixels: the image is two panels wide, or one when the history has no metric.</summary>
    public const int PanelWidth = 640;

    /// <summary>Line colours (those of matplotlib's default cycle, which readers know).</summary>
    public static readonly OxyColor TrainingColor = OxyColor.FromRgb(0x1F, 0x77, 0xB4);

    /// <inheritdoc cref="TrainingColor"/>
    public static readonly OxyColor ValidationColor = OxyColor.FromRgb(0xFF, 0x7F, 0x0E);

    /// <summary>Writes the chart of <paramref name="history"/> to the PNG file <paramref name="path"/>.</summary>
    /// <param name="history">One report per epoch, as <c>NetworkTrainer.TrainingHistory</c> holds them after <c>Fit</c>; at least one.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="overwrite">Whether an existing file may be replaced. Defaults to false.</param>
    /// <summary>Colours of the loss parts' lines (matplotlib's tab10 after the two above).</summary>
    public static readonly OxyColor[] PartColors =
    {
        OxyColor.FromRgb(0x2C, 0xA0, 0x2C), OxyColor.FromRgb(0xD6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xBD), OxyColor.FromRgb(0x8C, 0x56, 0x4B),
    };

    public static void Write(IReadOnlyList<TrainingProgress> history, string path, bool overwrite = false)
    {
        var panels = CreatePlots(history);
        ChartPng.Write(path, PanelWidth * panels.Length, Height, overwrite, panels);
    }

    /// <summary>
    /// The chart's panels: the loss panel, then the metric panel when any epoch has a training or
    /// validation metric.
    /// </summary>
    public static PlotModel[] CreatePlots(IReadOnlyList<TrainingProgress> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
            throw new ArgumentException("The training history is empty: there is no epoch to chart.", nameof(history));

        int bestEpoch = history.LastOrDefault(p => p.IsBest)?.Epoch ?? 0;
        var loss = Panel("Loss", "loss");
        loss.Series.Add(Line("training loss", TrainingColor, history.Select(p => (p.Epoch, (double?)p.TrainingLoss))));
        // A loss of named parts (a detector's box, objectness, class) shows each part beside the total.
        var partNames = history[^1].LossParts?.Keys.ToArray() ?? Array.Empty<string>();
        for (int i = 0; i < partNames.Length; i++)
        {
            string part = partNames[i];
            loss.Series.Add(Line($"{part} loss", PartColors[i % PartColors.Length],
                history.Select(p => (p.Epoch, p.LossParts is { } parts && parts.TryGetValue(part, out var v) ? (double?)v : null))));
        }
        bool validated = history.Any(p => p.ValidationLoss is not null);
        if (validated)
            loss.Series.Add(Line("validation loss", ValidationColor, history.Select(p => (p.Epoch, p.ValidationLoss))));
        MarkBest(loss, bestEpoch);

        bool trainingMetric = history.Any(p => p.TrainingMetric is not null);
        bool validationMetric = history.Any(p => p.ValidationMetric is not null);
        if (!trainingMetric && !validationMetric)
            return new[] { loss };
        string metricName = history[^1].ValidationMetricName;
        var metric = Panel(metricName, metricName);
        if (trainingMetric)
            metric.Series.Add(Line("training", TrainingColor, history.Select(p => (p.Epoch, p.TrainingMetric))));
        if (validationMetric)
            metric.Series.Add(Line("validation", ValidationColor, history.Select(p => (p.Epoch, p.ValidationMetric))));
        // Further validation metrics (a detector's AP50 beside its AP) in the same panel.
        var extraNames = history[^1].ValidationMetrics?.Keys.ToArray() ?? Array.Empty<string>();
        for (int i = 0; i < extraNames.Length; i++)
        {
            string name = extraNames[i];
            metric.Series.Add(Line($"validation {name}", PartColors[(i + partNames.Length) % PartColors.Length],
                history.Select(p => (p.Epoch, p.ValidationMetrics is { } m && m.TryGetValue(name, out var v) ? (double?)v : null))));
        }
        MarkBest(metric, bestEpoch);
        return new[] { loss, metric };
    }

    private static PlotModel Panel(string title, string valueTitle)
    {
        var plot = new PlotModel { Title = title, Background = OxyColors.White, DefaultFont = ChartPng.FontFamily };
        plot.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom,
            Title = "epoch",
            MinimumMajorStep = 1, // whole epochs only
            MinimumMinorStep = 1,
            MinimumPadding = 0.02,
            MaximumPadding = 0.02,
            MajorGridlineStyle = LineStyle.Dot,
        });
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = valueTitle, MajorGridlineStyle = LineStyle.Dot, MinimumPadding = 0.05, MaximumPadding = 0.05 });
        // Below the plot area, where it never hides a curve.
        plot.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal });
        return plot;
    }

    private static LineSeries Line(string title, OxyColor color, IEnumerable<(int Epoch, double? Value)> points)
    {
        var line = new LineSeries { Title = title, Color = color, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = color };
        foreach (var (epoch, value) in points)
        {
            // An epoch without a value breaks the line instead of joining its neighbours.
            line.Points.Add(value is double v && double.IsFinite(v) ? new DataPoint(epoch, v) : DataPoint.Undefined);
        }
        return line;
    }

    private static void MarkBest(PlotModel plot, int bestEpoch)
    {
        if (bestEpoch > 0)
            plot.Annotations.Add(new LineAnnotation { Type = LineAnnotationType.Vertical, X = bestEpoch, Color = OxyColors.Gray, LineStyle = LineStyle.Dot, Text = $"best epoch {bestEpoch}", TextColor = OxyColors.Gray });
    }
}
