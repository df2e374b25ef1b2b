namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// A regression stump fitted by weighted least squares, the weak learner of Gentle AdaBoost:
/// <c>f(x) = value &lt; Threshold ? LeftValue : RightValue</c>, each leaf the weighted mean of the
/// labels (+1 object, -1 background) of the samples that reach it.
/// </summary>
/// <param name="Feature">Index of the feature in the pool.</param>
/// <param name="Threshold">Split threshold on the normalised feature value.</param>
/// <param name="LeftValue">Output for values below the threshold.</param>
/// <param name="RightValue">Output for the other values.</param>
/// <param name="Error">Weighted squared error <c>Σ wᵢ (yᵢ - f(xᵢ))²</c> on the samples it was fitted to.</param>
public readonly record struct GentleStump(int Feature, float Threshold, float LeftValue, float RightValue, double Error)
{
    /// <summary>The stump's output for a feature value.</summary>
    public float Evaluate(float value) => value < Threshold ? LeftValue : RightValue;
}
