using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>The Mask R-CNN trainer on <c>mlContext.ObjectDetection().Trainers</c>.</summary>
public static class MaskRcnnTrainerCatalog
{
    /// <summary>
    /// Trains a Mask R-CNN on images with labelled boxes and outlines (the COCO loader's columns), with the defaults of
    /// <see cref="MaskRcnnTrainer.Options"/> but the columns, backbone and epochs given here.
    /// </summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="labelColumnName">Classes: a vector of keys, one per object. Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">Boxes: a vector of Single, x0 y0 x1 y1 per object. Defaults to <c>Box</c>.</param>
    /// <param name="maskColumnName">Outlines: a vector of Single in <see cref="SegmentationColumn"/>'s encoding. Defaults to <c>Segmentation</c>.</param>
    /// <param name="imageColumnName">Images (<c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="backboneDepth">ResNet depth: 18, 34, 50, 101 or 152. Defaults to 18.</param>
    /// <param name="epochs">Passes over the training images. Defaults to 12.</param>
    public static MaskRcnnTrainer MaskRcnn(this ObjectDetectionTrainers catalog,
        string labelColumnName = "Label",
        string boxColumnName = "Box",
        string maskColumnName = DetectionDataView.SegmentationColumnName,
        string imageColumnName = "Image",
        int backboneDepth = 18,
        int epochs = 12)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MaskRcnnTrainer(catalog.MLContext, new MaskRcnnTrainer.Options
        {
            LabelColumnName = labelColumnName,
            BoxColumnName = boxColumnName,
            MaskColumnName = maskColumnName,
            ImageColumnName = imageColumnName,
            BackboneDepth = backboneDepth,
            Epochs = epochs,
        });
    }

    /// <summary>Trains a Mask R-CNN with every option of <see cref="MaskRcnnTrainer.Options"/>.</summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="options">The options; each documents its default.</param>
    public static MaskRcnnTrainer MaskRcnn(this ObjectDetectionTrainers catalog, MaskRcnnTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new MaskRcnnTrainer(catalog.MLContext, options);
    }
}
