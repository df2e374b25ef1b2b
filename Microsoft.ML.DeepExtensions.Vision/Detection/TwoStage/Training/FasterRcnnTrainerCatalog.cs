namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage.Training;

/// <summary>The Faster R-CNN trainer on <c>mlContext.ObjectDetection().Trainers</c>.</summary>
public static class FasterRcnnTrainerCatalog
{
    /// <summary>
    /// Trains a Faster R-CNN on images with labelled boxes (ML.NET's object-detection columns), with the defaults of
    /// <see cref="FasterRcnnTrainer.Options"/> but the columns, backbone and epochs given here.
    /// </summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="labelColumnName">Classes: a vector of keys, one per object. Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">Boxes: a vector of Single, x0 y0 x1 y1 per object. Defaults to <c>Box</c>.</param>
    /// <param name="imageColumnName">Images (<c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="backboneDepth">ResNet depth: 18, 34, 50, 101 or 152. Defaults to 18.</param>
    /// <param name="fpn">Whether the backbone has a feature pyramid. Defaults to true.</param>
    /// <param name="epochs">Passes over the training images. Defaults to 12.</param>
    public static FasterRcnnTrainer FasterRcnn(this ObjectDetectionTrainers catalog,
        string labelColumnName = "Label",
        string boxColumnName = "Box",
        string imageColumnName = "Image",
        int backboneDepth = 18,
        bool fpn = true,
        int epochs = 12)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new FasterRcnnTrainer(catalog.MLContext, new FasterRcnnTrainer.Options
        {
            LabelColumnName = labelColumnName,
            BoxColumnName = boxColumnName,
            ImageColumnName = imageColumnName,
            BackboneDepth = backboneDepth,
            Fpn = fpn,
            Epochs = epochs,
        });
    }

    /// <summary>Trains a Faster R-CNN with every option of <see cref="FasterRcnnTrainer.Options"/>.</summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="options">The options; each documents its default.</param>
    public static FasterRcnnTrainer FasterRcnn(this ObjectDetectionTrainers catalog, FasterRcnnTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new FasterRcnnTrainer(catalog.MLContext, options);
    }
}
