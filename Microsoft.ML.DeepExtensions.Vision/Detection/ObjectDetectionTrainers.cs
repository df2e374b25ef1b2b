namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// The detector trainers of an <see cref="MLContext"/>, reached with <c>mlContext.ObjectDetection().Trainers</c>, as
/// <c>mlContext.MulticlassClassification.Trainers</c> holds multiclass ones; each trainer adds an extension method
/// (e.g. <c>Yolo(...)</c>).
/// </summary>
public sealed class ObjectDetectionTrainers
{
    internal ObjectDetectionTrainers(MLContext mlContext) => MLContext = mlContext;

    /// <summary>The context this catalog belongs to.</summary>
    public MLContext MLContext { get; }
}
