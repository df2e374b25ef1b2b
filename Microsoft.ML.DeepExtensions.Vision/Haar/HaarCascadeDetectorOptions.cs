using System.Drawing;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>Options of <see cref="HaarCatalog.DetectObjectsWithHaarCascade(TransformsCatalog, HaarCascadeDetectorOptions)"/>.</summary>
public sealed class HaarCascadeDetectorOptions
{
    /// <summary>
    /// An OpenCV cascade XML file (current or old Haar format), e.g.
    /// <c>/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml</c>. Required unless
    /// <see cref="Cascade"/> is set.
    /// </summary>
    public string? CascadePath { get; set; }

    /// <summary>A cascade already in memory (e.g. from a trainer); takes precedence over <see cref="CascadePath"/>. Defaults to null.</summary>
    public HaarCascade? Cascade { get; set; }

    /// <summary>The input image column (<c>MLImage</c>, from <c>LoadImages</c> or <c>ResizeImages</c>). Defaults to <c>Image</c>.</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>
    /// The name of the one class the cascade finds, shown by <c>MapKeyToValue("PredictedLabel")</c>.
    /// Defaults to null: the cascade file name without <c>haarcascade_</c> and <c>.xml</c>
    /// (e.g. <c>frontalface_default</c>), or <c>object</c> for an in-memory cascade.
    /// </summary>
    public string? ClassName { get; set; }

    /// <summary>Pyramid scale step (OpenCV's <c>scaleFactor</c>); must be greater than 1. Defaults to 1.1.</summary>
    public double ScaleFactor { get; set; } = 1.1;

    /// <summary>
    /// Raw hits a box needs beyond itself (OpenCV's <c>minNeighbors</c>); 0 returns every raw hit ungrouped.
    /// The <c>Score</c> of a box is the number of hits merged into it. Defaults to 3.
    /// </summary>
    public int MinNeighbors { get; set; } = 3;

    /// <summary>Smallest object size searched; empty for no limit. Defaults to empty.</summary>
    public Size MinSize { get; set; } = Size.Empty;

    /// <summary>Largest object size searched; empty (or a zero side) for the image size. Defaults to empty.</summary>
    public Size MaxSize { get; set; } = Size.Empty;

    /// <summary>Threads scanning one image (1: single-threaded; results are identical either way). Defaults to -1 (thread pool).</summary>
    public int MaxDegreeOfParallelism { get; set; } = -1;

    /// <summary>Images read ahead per batch in <c>Transform</c>. Defaults to 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Defaults to <c>PredictedLabel</c>.</summary>
    public string PredictedLabelColumnName { get; set; } = DetectionColumns.DefaultPredictedLabelColumnName;

    /// <summary>Defaults to <c>Score</c>.</summary>
    public string ScoreColumnName { get; set; } = DetectionColumns.DefaultScoreColumnName;

    /// <summary>Defaults to <c>PredictedBoundingBoxes</c>.</summary>
    public string PredictedBoundingBoxesColumnName { get; set; } = DetectionColumns.DefaultPredictedBoundingBoxesColumnName;

    internal HaarDetectionOptions ToDetectionOptions()
    {
        var options = new HaarDetectionOptions
        {
            ScaleFactor = ScaleFactor,
            MinNeighbors = MinNeighbors,
            MinSize = MinSize,
            MaxSize = MaxSize,
            MaxDegreeOfParallelism = MaxDegreeOfParallelism,
        };
        options.Validate();
        return options;
    }
}
