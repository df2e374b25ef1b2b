namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// A detection data set in memory: the class names and, per image, its file, size and labelled objects (boxes,
/// classes, crowd flags, segmentations). Loaded from COCO, Ultralytics/YOLO or Pascal VOC files, checked against
/// the images' headers; <see cref="ToDataView"/> gives it to ML.NET in the object-detection columns
/// (<see cref="DetectionDataView"/>), and <see cref="WriteCoco"/> writes it as a COCO instances file.
/// </summary>
/// <remarks>
/// Boxes are x0, y0, x1, y1 in the image's pixels (a pixel <c>x</c> covers <c>[x, x + 1)</c>). A box that lies
/// outside its image by at most <see cref="BoxTolerance"/> pixels is clipped to the image; one further out, or with
/// a non-positive size, is refused with the file and the annotation (or line) at fault.
/// </remarks>
public sealed class DetectionDataset
{
    /// <summary>How far, in pixels, a loaded box may lie outside its image and still be accepted (and clipped to it): 1.</summary>
    public const float BoxTolerance = 1f;

    private readonly string[] _classNames;
    private readonly DetectionImage[] _images;

    /// <param name="classNames">Class names in class-index order: at least one, none empty, all distinct.</param>
    /// <param name="images">The images; each object's class index must be below the number of classes.</param>
    public DetectionDataset(IReadOnlyList<string> classNames, IEnumerable<DetectionImage> images)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(images);
        if (classNames.Count == 0)
            throw new ArgumentException("A detection data set needs at least one class name, got none.", nameof(classNames));
        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(classNames[i]))
                throw new ArgumentException($"Class names must not be empty, got an empty name for class {i}.", nameof(classNames));
        }
        var duplicate = classNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Class name '{duplicate.Key}' is given more than once; class names must be distinct.", nameof(classNames));
        _classNames = classNames.ToArray();
        _images = images.ToArray();
        foreach (var image in _images)
        {
            ArgumentNullException.ThrowIfNull(image, nameof(images));
            foreach (var o in image.Objects)
            {
                if (o.ClassIndex >= _classNames.Length)
                    throw new ArgumentException($"Image '{image.Path}' has an object of class {o.ClassIndex}, but there are only {_classNames.Length} classes.", nameof(images));
            }
        }
    }

    /// <summary>Class names in class-index order (key <c>k</c> of the <c>Label</c> column is <c>ClassNames[k - 1]</c>).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    public IReadOnlyList<DetectionImage> Images => _images;

    /// <summary>The number of objects over all images, crowd regions included.</summary>
    public int ObjectCount => _images.Sum(i => i.Objects.Count);

    /// <summary>
    /// Reads a COCO instances file (<c>images</c>, <c>annotations</c>, <c>categories</c>) and its images. Classes are
    /// the categories sorted by id (class index <c>i</c> is the <c>i</c>-th smallest category id); <c>iscrowd</c> is
    /// kept as <see cref="DetectionObject.IsCrowd"/>, <c>segmentation</c> (polygons, or run lengths as a list or
    /// COCO's compressed string) as <see cref="DetectionObject.Segmentation"/>. Images without annotations are
    /// background images. Each image's size is read from its file's header and must match the JSON's
    /// <c>width</c>/<c>height</c> where given.
    /// </summary>
    /// <param name="jsonPath">The instances file.</param>
    /// <param name="imageFolder">The folder <c>file_name</c>s are relative to. Defaults to null: the first of the JSON
    /// file's folder, its <c>images/</c> sub-folder, and for a file inside an <c>annotations/</c> folder (COCO's
    /// layout) the folder above it and its <c>images/</c>, that holds the first image.</param>
    /// <exception cref="FileNotFoundException">The JSON file or an image file does not exist.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON or COCO structure, an unknown category, a box outside its
    /// image or of non-positive size, an undecodable image, a bad segmentation; the message names the file and the
    /// annotation or image id.</exception>
    public static DetectionDataset ReadCoco(string jsonPath, string? imageFolder = null) => CocoDetectionReader.Read(jsonPath, imageFolder);

    /// <summary>
    /// Reads a split of an Ultralytics/YOLO data set: <c>data.yaml</c> (keys <c>path</c>, <c>train</c>, <c>val</c>,
    /// <c>test</c>, <c>names</c> as a list or a map from index to name, <c>nc</c>), the split's images (a folder,
    /// searched recursively, a text file listing images, or a list of those, relative to <c>path</c>) and their label
    /// files: the image's path with its last <c>images</c> folder replaced by <c>labels</c> and extension <c>.txt</c>.
    /// A label line is <c>class cx cy w h</c>, or <c>class x1 y1 x2 y2 ...</c> (Ultralytics' segment format: the
    /// polygon is kept as <see cref="DetectionObject.Segmentation"/> and its bounds are the box), normalized to
    /// [0, 1]. An image without a label file, or with an empty one, is a background image.
    /// </summary>
    /// <param name="dataYamlPath">The data.yaml file.</param>
    /// <param name="split">The split to read: <c>train</c>, <c>val</c>, <c>test</c> or any key of the file that names images. Defaults to <c>train</c>.</param>
    /// <remarks>A relative <c>path</c> is taken relative to the data.yaml's folder (Ultralytics resolves it against its
    /// own datasets folder); without <c>path</c>, the data.yaml's folder is the root. Without <c>names</c>, classes are
    /// named "0" to "nc - 1".</remarks>
    /// <exception cref="FileNotFoundException">The data.yaml, a split's folder or list, or an image does not exist.</exception>
    /// <exception cref="InvalidDataException">Malformed YAML (with its line), a missing split, names and nc that
    /// disagree, a label line with the wrong number of values, a value outside [0, 1], a class index not below nc, a box
    /// outside the image or of non-positive size, an undecodable image; the message names the file and line.</exception>
    public static DetectionDataset ReadYolo(string dataYamlPath, string split = "train") => YoloDetectionReader.Read(dataYamlPath, split);

    /// <summary>
    /// Reads a Pascal VOC folder: <c>Annotations/*.xml</c>, images in <c>JPEGImages/</c>, and with a split the image
    /// ids listed in <c>ImageSets/Main/&lt;split&gt;.txt</c>. VOC's 1-based inclusive corners become x0 = xmin - 1,
    /// y0 = ymin - 1, x1 = xmax, y1 = ymax; <c>difficult</c> objects are kept as crowd regions (ignored by the metrics,
    /// as in VOC's own evaluation).
    /// </summary>
    /// <param name="folder">The VOC folder (e.g. <c>VOCdevkit/VOC2012</c>).</param>
    /// <param name="split">The split (<c>train</c>, <c>val</c>, <c>trainval</c>, <c>test</c>, ...). Defaults to null: every annotation file, sorted by name.</param>
    /// <param name="classNames">The class names in class-index order. Defaults to null: every object name found in
    /// <c>Annotations/</c> (all splits, so that every split gets the same classes), sorted ordinally.</param>
    /// <exception cref="DirectoryNotFoundException">The folder has no <c>Annotations/</c>.</exception>
    /// <exception cref="FileNotFoundException">The split's list, an annotation file it names, or an image does not exist.</exception>
    /// <exception cref="InvalidDataException">Malformed XML, a missing element, an unknown class, a box outside the image
    /// or of non-positive size, an undecodable image; the message names the file and line.</exception>
    public static DetectionDataset ReadVoc(string folder, string? split = null, IReadOnlyList<string>? classNames = null) =>
        VocDetectionReader.Read(folder, split, classNames);

    /// <summary>
    /// Reads a detection data set in whichever of the three formats <paramref name="path"/> names: a <c>.json</c> file
    /// (COCO, <see cref="ReadCoco"/>; <paramref name="split"/> is not used), a <c>.yaml</c>/<c>.yml</c> file
    /// (<see cref="ReadYolo"/>), or a folder holding a <c>data.yaml</c> (YOLO), an <c>Annotations/</c> folder (VOC,
    /// <see cref="ReadVoc"/>) or <c>annotations/instances_&lt;split&gt;.json</c> (COCO's layout).
    /// </summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="split">The split, for YOLO and VOC data and a COCO folder. Defaults to null: YOLO's and a COCO
    /// folder's <c>train</c>, every VOC annotation.</param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">It is none of the three formats, or the data is invalid (see the format's reader).</exception>
    public static DetectionDataset Read(string path, string? split = null) => DetectionFormat.Read(path, split);

    /// <summary>
    /// Writes the data set as a COCO instances file (for <c>deepext evaluate --ground-truth</c>, pycocotools, or any
    /// COCO tool): image ids are <see cref="DetectionImage.Id"/>, <c>file_name</c>s are relative to the file's folder
    /// (with <c>/</c>), category ids are class index + 1, annotation ids count from 1 in image order, <c>bbox</c> is
    /// x, y, width, height, <c>area</c> is the segmentation's pixel count (the box's area without one), and
    /// segmentations are written back as polygons or uncompressed run lengths.
    /// </summary>
    /// <param name="jsonPath">The file to write; its folder must exist. An existing file is overwritten.</param>
    public void WriteCoco(string jsonPath) => CocoDetectionWriter.Write(this, jsonPath);

    /// <summary>The data set as an ML.NET data view in the object-detection columns (see <see cref="DetectionDataView"/>).</summary>
    public DetectionDataView ToDataView() => new(this);

    public override string ToString() => $"{_images.Length} images, {ObjectCount} objects, {_classNames.Length} classes";
}
