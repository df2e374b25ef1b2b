using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>One trained stage of a cascade, as reported through <see cref="HaarCascadeEstimator.Options.Progress"/>.</summary>
/// <param name="Stage">The stage's number, from 1.</param>
/// <param name="StageCount">The most stages training will add.</param>
/// <param name="Positives">Positive windows the stage was trained on (those every earlier stage accepts).</param>
/// <param name="Negatives">Negative windows mined for the stage (windows of the negative images every earlier stage accepts).</param>
/// <param name="NegativeAcceptanceRatio">Fraction of the random negative windows tried that the earlier stages accepted: the cascade's false-alarm rate before this stage.</param>
/// <param name="WeakClassifiers">Stumps in the stage.</param>
/// <param name="HitRate">Fraction of the stage's positives it passes.</param>
/// <param name="FalseAlarmRate">Fraction of the stage's negatives it passes.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record HaarStageProgress(int Stage, int StageCount, int Positives, int Negatives, double NegativeAcceptanceRatio,
    int WeakClassifiers, double HitRate, double FalseAlarmRate, TimeSpan Elapsed)
{
    /// <summary>One line: <c>stage 3/10: 19 weak classifiers, hit rate 0.996, false alarms 0.48 (500 positives, 1000 negatives, acceptance 0.21)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"stage {Stage}/{StageCount}: {WeakClassifiers} weak classifiers, hit rate {HitRate:0.####}, false alarms {FalseAlarmRate:0.####} ({Positives} positives, {Negatives} negatives, acceptance {NegativeAcceptanceRatio:G4}), {Elapsed.TotalSeconds:0.0} s");
}
