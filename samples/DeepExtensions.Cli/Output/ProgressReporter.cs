using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.DeepExtensions.Training;
using Spectre.Console;

namespace DeepExtensions.Cli.Output;

/// <summary>
/// Shows training progress on stderr: a live Spectre.Console progress bar (epoch, loss, accuracy,
/// rows or images per second, moving within each epoch) when stderr is a terminal, otherwise one
/// plain line per epoch.
/// </summary>
/// <remarks>
/// Reports arrive on the training thread, and the bar is redrawn there too (at most every
/// <see cref="RefreshInterval"/>) instead of by Spectre's refresh thread: on a small machine any
/// extra busy thread stalls libtorch's spinning worker threads and can slow training many times over.
/// </remarks>
public sealed class ProgressReporter : IProgress<TrainingProgress>, IProgress<BatchProgress>
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _error;
    private readonly bool _live;
    private readonly string _unit;
    private readonly Stopwatch _sinceRefresh = new();
    private ProgressContext? _context;
    private ProgressTask? _bar;

    /// <param name="error">Where progress goes.</param>
    /// <param name="live">Draw a live bar (stderr is a terminal) rather than one line per epoch.</param>
    /// <param name="unit">What a training row is, for the speed: <c>rows</c> or <c>images</c>.</param>
    public ProgressReporter(TextWriter error, bool live, string unit = "rows")
    {
        _error = error;
        _live = live;
        _unit = unit;
    }

    /// <summary>The last epoch reported, or null before the first.</summary>
    public TrainingProgress? Last { get; private set; }

    /// <summary>The last epoch whose monitored loss improved (the weights training keeps), or null.</summary>
    public TrainingProgress? Best { get; private set; }

    /// <summary>Runs <paramref name="train"/>, drawing the live bar around it when live.</summary>
    public T Run<T>(int epochs, Func<T> train)
    {
        if (!_live)
            return train();

        // stderr is a terminal (the caller checked): draw the bar there even when stdout is redirected.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
        });
        return console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                _context = context;
                _bar = context.AddTask("training", maxValue: epochs);
                context.Refresh();
                _sinceRefresh.Restart();
                try
                {
                    var result = train();
                    _bar.Value = _bar.MaxValue; // early stopping ends before the last epoch: show the run as done
                    return result;
                }
                finally
                {
                    _bar.StopTask();
                    context.Refresh();
                    _context = null;
                    _bar = null;
                }
            });
    }

    public void Report(TrainingProgress value)
    {
        Last = value;
        if (value.IsBest)
            Best = value;

        if (_bar is null || _context is null)
        {
            _error.WriteLine(Format(value, _unit));
            return;
        }
        _bar.MaxValue = value.Epochs;
        _bar.Value = value.Epoch;
        _bar.Description = Markup.Escape(Format(value, _unit));
        if (_sinceRefresh.Elapsed >= RefreshInterval)
        {
            _context.Refresh();
            _sinceRefresh.Restart();
        }
    }

    /// <summary>Moves the live bar within an epoch (plain output stays one line per epoch).</summary>
    public void Report(BatchProgress value)
    {
        if (_bar is null || _context is null)
            return;
        _bar.MaxValue = value.Epochs;
        _bar.Value = value.Epoch - 1 + (double)value.Rows / Math.Max(value.RowsPerEpoch, 1);
        var metric = double.IsNaN(value.TrainingMetric) ? "" : string.Create(CultureInfo.InvariantCulture, $"  {Short(value.MetricName)} {value.TrainingMetric:G4}");
        _bar.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"epoch {value.Epoch}/{value.Epochs}  loss {value.TrainingLoss:G4}{metric}  {TrainingProgress.FormatRate(value.RowsPerSecond)} {_unit}/s"));
        if (_sinceRefresh.Elapsed >= RefreshInterval)
        {
            _context.Refresh();
            _sinceRefresh.Restart();
        }
    }

    /// <summary>One epoch as text: <c>epoch 12/200  loss 0.08123  accuracy 0.97  validation loss 0.09  Accuracy 0.9649  25,000 rows/s</c>.</summary>
    public static string Format(TrainingProgress p, string unit = "rows")
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}  loss {p.TrainingLoss:G4}");
        if (p.LossParts is { } parts)
            text += " (" + string.Join(", ", parts.Select(part => string.Create(CultureInfo.InvariantCulture, $"{part.Key} {part.Value:G4}"))) + ")";
        if (p.TrainingMetric is double trainingMetric)
            text += string.Create(CultureInfo.InvariantCulture, $"  {Short(p.ValidationMetricName)} {trainingMetric:G4}");
        if (p.ValidationLoss is double loss)
            text += string.Create(CultureInfo.InvariantCulture, $"  validation loss {loss:G4}");
        if (p.ValidationMetric is double metric)
            text += string.Create(CultureInfo.InvariantCulture, $"  validation {Short(p.ValidationMetricName)} {metric:G4}");
        if (p.ValidationMetrics is { } metrics)
            text += string.Concat(metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"  {m.Key} {m.Value:G4}")));
        text += string.Create(CultureInfo.InvariantCulture, $"  {TrainingProgress.FormatRate(p.RowsPerSecond)} {unit}/s");
        return p.IsBest ? text + "  *" : text;
    }

    private static string Short(string metricName) => metricName == "RootMeanSquaredError" ? "RMSE" : metricName.ToLowerInvariant();

    /// <summary>How training ended: <c>trained 37 epochs in 2.1 s (best: epoch 27; stopped early)</c>.</summary>
    public string Summary()
    {
        if (Last is not { } last)
            return "trained 0 epochs";
        var text = string.Create(CultureInfo.InvariantCulture, $"trained {last.Epoch} epochs in {last.Elapsed.TotalSeconds:0.0} s");
        var notes = new List<string>();
        if (Best is not null)
            notes.Add($"best: epoch {Best.Epoch}");
        if (last.Epoch < last.Epochs)
            notes.Add("stopped early");
        return notes.Count == 0 ? text : $"{text} ({string.Join("; ", notes)})";
    }
}
