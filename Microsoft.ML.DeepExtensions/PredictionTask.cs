namespace Microsoft.ML.DeepExtensions;

/// <summary>
/// What a network predicts. Decides the shape of its output, the targets a loss sees and the
/// columns the scoring transformer produces (the same columns as ML.NET's own trainers).
/// </summary>
public enum PredictionTask
{
    /// <summary>One raw score per row; <c>Score</c>, <c>Probability</c> and a Boolean <c>PredictedLabel</c>.</summary>
    BinaryClassification,

    /// <summary>One raw score per class; <c>Score</c> (softmax probabilities) and a key <c>PredictedLabel</c>.</summary>
    MulticlassClassification,

    /// <summary>One value per row; <c>Score</c>.</summary>
    Regression,
}
