namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Loaders of object-detection data sets on <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>): COCO
/// instances files, the Ultralytics/YOLO layout and Pascal VOC folders, each as a <see cref="DetectionDataView"/>
/// in ML.NET's object-detection columns (<c>ImagePath</c>, <c>Image</c>, <c>ImageWidth</c>, <c>ImageHeight</c>,
/// <c>Label</c>, <c>Box</c>, <c>IsCrowd</c>, <c>Segmentation</c>):
/// <code>
/// var train = ml.Data.LoadDetectionData("data.yaml", "train");
/// var test = ml.Data.LoadCocoDetection("annotations/instances_val.json");
/// var metrics = ml.ObjectDetection().Evaluate(model.Transform(test), crowdColumnName: "IsCrowd");
/// </code>
/// Files are read and checked (every image's header included) when the loader is called; images are decoded when a
/// cursor reads the <c>Image</c> column. The in-memory form, <see cref="DetectionDataset"/>, is the view's
/// <see cref="DetectionDataView.Dataset"/>.
/// </summary>
public static class DetectionDataCatalog
{
    /// <summary>Loads a COCO instances file and its images (see <see cref="DetectionDataset.ReadCoco"/>).</summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="jsonPath">The instances file.</param>
    /// <param name="imageFolder">The folder <c>file_name</c>s are relative to. Defaults to null: found next to the JSON file (see <see cref="DetectionDataset.ReadCoco"/>).</param>
    /// <inheritdoc cref="DetectionDataset.ReadCoco" path="/exception"/>
    public static DetectionDataView LoadCocoDetection(this DataOperationsCatalog catalog, string jsonPath, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadCoco(jsonPath, imageFolder).ToDataView();
    }

    /// <summary>Loads a split of an Ultralytics/YOLO data set (see <see cref="DetectionDataset.ReadYolo"/>).</summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="dataYamlPath">The data.yaml file.</param>
    /// <param name="split">The split: <c>train</c>, <c>val</c> or <c>test</c>. Defaults to <c>train</c>.</param>
    /// <inheritdoc cref="DetectionDataset.ReadYolo" path="/exception"/>
    public static DetectionDataView LoadYoloDetection(this DataOperationsCatalog catalog, string dataYamlPath, string split = "train")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadYolo(dataYamlPath, split).ToDataView();
    }

    /// <summary>Loads a Pascal VOC folder (see <see cref="DetectionDataset.ReadVoc"/>).</summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="folder">The VOC folder, holding <c>Annotations/</c> and <c>JPEGImages/</c>.</param>
    /// <param name="split">The split listed in <c>ImageSets/Main/&lt;split&gt;.txt</c>. Defaults to null: every annotation.</param>
    /// <param name="classNames">The class names in class-index order. Defaults to null: the object names of all annotations, sorted.</param>
    /// <inheritdoc cref="DetectionDataset.ReadVoc" path="/exception"/>
    public static DetectionDataView LoadVocDetection(this DataOperationsCatalog catalog, string folder, string? split = null, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadVoc(folder, split, classNames).ToDataView();
    }

    /// <summary>
    /// Loads detection data in whichever format <paramref name="path"/> names: a COCO <c>.json</c> file, a YOLO
    /// <c>data.yaml</c>, or a folder holding a <c>data.yaml</c>, a VOC <c>Annotations/</c> folder or COCO's
    /// <c>annotations/instances_&lt;split&gt;.json</c> (see <see cref="DetectionDataset.Read"/>).
    /// </summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="path">The file or folder.</param>
    /// <param name="split">The split, for YOLO, VOC and a COCO folder. Defaults to null: <c>train</c> (YOLO, COCO folder), every annotation (VOC).</param>
    /// <inheritdoc cref="DetectionDataset.Read" path="/exception"/>
    public static DetectionDataView LoadDetectionData(this DataOperationsCatalog catalog, string path, string? split = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.Read(path, split).ToDataView();
    }
}
