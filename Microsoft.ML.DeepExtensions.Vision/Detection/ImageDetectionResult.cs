namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>The detections of one image with what is needed to read them alone: the image, its size and the class names.</summary>
/// <param name="Image">The image's file name or path, or null.</param>
/// <param name="Width">The image width in pixels (the boxes' coordinate frame).</param>
/// <param name="Height">The image height in pixels.</param>
/// <param name="ClassNames">Names by class index.</param>
/// <param name="Detections">The detections.</param>
public sealed record ImageDetectionResult(string? Image, int Width, int Height, IReadOnlyList<string> ClassNames, ObjectDetections Detections);
