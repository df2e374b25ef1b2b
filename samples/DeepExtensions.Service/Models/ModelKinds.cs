namespace DeepExtensions.Service.Models;

/// <summary>What a served model reads from a request.</summary>
public enum ModelInputKind
{
    /// <summary>One image (an upload or a raw image body).</summary>
    Image,

    /// <summary>Feature values by column name (a CSV row or a JSON object).</summary>
    Features,
}

/// <summary>What a served model answers, read from its output columns.</summary>
public enum ModelOutputKind
{
    /// <summary>A <c>Score</c> vector of class probabilities and a <c>PredictedLabel</c>.</summary>
    Multiclass,

    /// <summary><c>Score</c>, <c>Probability</c> and a Boolean <c>PredictedLabel</c>.</summary>
    Binary,

    /// <summary>One <c>Score</c>.</summary>
    Regression,

    /// <summary>An object detector's <c>PredictedLabel</c>, <c>Score</c> and <c>PredictedBoundingBoxes</c>.</summary>
    Detection,
}
