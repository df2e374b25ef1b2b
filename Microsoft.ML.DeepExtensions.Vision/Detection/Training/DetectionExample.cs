namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// One training image as the detection data path keeps it: letterboxed to the network's size as planar 8-bit RGB
/// (a quarter of the memory of floats), and its objects in the letterboxed pixels.
/// </summary>
/// <param name="Pixels"><c>3 * S * S</c> bytes, all R, then all G, then all B.</param>
/// <param name="Classes">Class index of each object (0-based).</param>
/// <param name="Boxes">x0 y0 x1 y1 of each object in the letterboxed image's pixels.</param>
/// <param name="Masks">For detectors that learn masks, each object's binary mask in the letterboxed image's pixels (over the
/// rectangle its pixels span); null otherwise.</param>
internal sealed record DetectionExample(byte[] Pixels, int[] Classes, float[] Boxes, InstanceMask[]? Masks = null);
