namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>An image of a COCO instances file.</summary>
public sealed record CocoImage(long Id, string? FileName, int Width, int Height);

/// <summary>A category of a COCO instances file.</summary>
public sealed record CocoCategory(long Id, string Name);

/// <summary>
/// An object annotation of a COCO instances file: <c>X, Y, Width, Height</c> are COCO's <c>bbox</c> (in
/// pixels); <see cref="Area"/> is its <c>area</c> (the segment's area in COCO's own files), the size the area
/// ranges use; crowd regions are ignored by the metrics. <see cref="Segmentation"/> is its <c>segmentation</c>
/// (polygons rasterized as pycocotools does, or RLE) as a mask of the whole image, or null when it has none.
/// </summary>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, double X, double Y, double Width, double Height, double Area, bool IsCrowd,
    RunLengthEncodedMask? Segmentation = null);

/// <summary>One detection of a COCO results file: image, category, <c>bbox</c> (x, y, width, height), score, and its
/// <c>segmentation</c> (RLE) for segmentation results.</summary>
public sealed record CocoDetectionResult(long ImageId, long CategoryId, double X, double Y, double Width, double Height, double Score,
    RunLengthEncodedMask? Segmentation = null);

/// <summary>The ground truth of a COCO instances file (<c>images</c>, <c>annotations</c>, <c>categories</c>).</summary>
public sealed record CocoGroundTruth(IReadOnlyList<CocoImage> Images, IReadOnlyList<CocoAnnotation> Annotations, IReadOnlyList<CocoCategory> Categories);
