namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Loaders of object-detection data sets on <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>): COCO
/// instances files, the Ultralytics/YOLO layout and Pascal VOC folders, each as a <see cref="DetectionDataView"/>
/// in ML.NET's object-detection columns (<c>ImagePath</c>, <c>Image</c>, <c>ImageWidth</c>, <c>ImageHeight</c>,
/// <c>Label</c>, <c>Box</c>, <c>IsCrowd</c>, <c>Segmentation</c>):
/// <code>
/// var train = ml.Data.LoadCocoDetection("annotations/instances_train.json");
/// var metrics = ml.ObjectDetection().Evaluate(model.Transform(test), crowdColumnName: "IsCrowd");
/// </code>
/// The in-memory form, <see cref="DetectionDataset"/>, is the view's <see cref="DetectionDataView.Dataset"/>.
/// </summary>
public static class DetectionDataCatalog
{
    /// <summary>Loads a COCO instances file and its images (see <see cref="DetectionDataset.ReadCoco"/>).</summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <inheritdoc cref="DetectionDataset.ReadCoco" path="/param"/>
    /// <inheritdoc cref="DetectionDataset.ReadCoco" path="/exception"/>
    public static DetectionDataView LoadCocoDetection(this DataOperationsCatalog catalog, string jsonPath, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadCoco(jsonPath, imageFolder).ToDataView();
    }
}
