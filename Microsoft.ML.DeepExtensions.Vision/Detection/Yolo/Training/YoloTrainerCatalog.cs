using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo.Training;

/// <summary>The YOLO trainer on <c>mlContext.ObjectDetection().Trainers</c>.</summary>
public static class YoloTrainerCatalog
{
    /// <summary>
    /// Trains a YOLO detector on images with labelled boxes (ML.NET's object-detection columns), with the defaults of
    /// <see cref="YoloTrainer.Options"/> but the columns, architecture and epochs given here.
    /// </summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="labelColumnName">Classes: a vector of keys, one per object. Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">Boxes: a vector of Single, x0 y0 x1 y1 per object. Defaults to <c>Box</c>.</param>
    /// <param name="imageColumnName">Images (<c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="architecture"><c>yolov3</c>, <c>yolov3-tiny</c>, <c>yolov3-tiny-3l</c> (optionally <c>:width=W</c>) or a Darknet cfg path. Defaults to <c>yolov3-tiny-3l:width=0.5</c>.</param>
    /// <param name="epochs">Passes over the training images. Defaults to 24, as <see cref="YoloTrainer.Options"/>.</param>
    public static YoloTrainer Yolo(this ObjectDetectionTrainers catalog,
        string labelColumnName = "Label",
        string boxColumnName = "Box",
        string imageColumnName = "Image",
        string architecture = "yolov3-tiny-3l:width=0.5",
        int epochs = 24)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new YoloTrainer(catalog.MLContext, new YoloTrainer.Options
        {
            LabelColumnName = labelColumnName,
            BoxColumnName = boxColumnName,
            ImageColumnName = imageColumnName,
            Architecture = architecture,
            Epochs = epochs,
        });
    }

    /// <summary>Trains a YOLO detector with every option of <see cref="YoloTrainer.Options"/>.</summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="options">The options; each documents its default.</param>
    public static YoloTrainer Yolo(this ObjectDetectionTrainers catalog, YoloTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new YoloTrainer(catalog.MLContext, options);
    }
}
