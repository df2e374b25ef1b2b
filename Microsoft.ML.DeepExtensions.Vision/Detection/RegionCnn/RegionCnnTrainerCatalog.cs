using Microsoft.ML.DeepExtensions.Vision.Architectures;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>The R-CNN trainer (Girshick et al., 2014) on <c>mlContext.ObjectDetection().Trainers</c>.</summary>
public static class RegionCnnTrainerCatalog
{
    /// <summary>
    /// Trains an R-CNN on images with labelled boxes (ML.NET's object-detection columns), with the defaults of
    /// <see cref="RegionCnnTrainer.Options"/> but the columns, backbone, warp size and fine-tuning epochs given here.
    /// </summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="labelColumnName">Classes: a vector of keys, one per object. Defaults to <c>Label</c>.</param>
    /// <param name="boxColumnName">Boxes: a vector of Single, x0 y0 x1 y1 per object. Defaults to <c>Box</c>.</param>
    /// <param name="imageColumnName">Images (<c>LoadImages</c>). Defaults to <c>Image</c>.</param>
    /// <param name="backbone">The CNN over warped regions; see <see cref="ImageArchitectures"/>. Defaults to null: <c>small-cnn</c>.</param>
    /// <param name="warpSize">The side regions are warped to. Defaults to 32.</param>
    /// <param name="epochs">Fine-tuning passes over the object regions. Defaults to 3.</param>
    public static RegionCnnTrainer Rcnn(this ObjectDetectionTrainers catalog,
        string labelColumnName = "Label",
        string boxColumnName = "Box",
        string imageColumnName = "Image",
        ImageArchitecture? backbone = null,
        int warpSize = 32,
        int epochs = 3)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new RegionCnnTrainer(catalog.MLContext, new RegionCnnTrainer.Options
        {
            LabelColumnName = labelColumnName,
            BoxColumnName = boxColumnName,
            ImageColumnName = imageColumnName,
            Backbone = backbone ?? ImageArchitectures.SmallCnn,
            WarpSize = warpSize,
            Epochs = epochs,
        });
    }

    /// <summary>Trains an R-CNN with every option of <see cref="RegionCnnTrainer.Options"/>.</summary>
    /// <param name="catalog">The detection trainers' catalog.</param>
    /// <param name="options">The options; each documents its default.</param>
    public static RegionCnnTrainer Rcnn(this ObjectDetectionTrainers catalog, RegionCnnTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new RegionCnnTrainer(catalog.MLContext, options);
    }
}
