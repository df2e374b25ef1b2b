using System.Drawing;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>An object found by a Haar cascade.</summary>
/// <param name="Box">The box in image pixels (left, top, width, height).</param>
/// <param name="Neighbors">How many raw window hits were merged into this box (OpenCV's <c>numDetections</c>); 1 when grouping is off.</param>
public readonly record struct HaarDetection(Rectangle Box, int Neighbors);
