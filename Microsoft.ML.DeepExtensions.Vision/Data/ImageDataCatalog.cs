using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// Loaders of image data sets on <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>): a
/// folder of images with one sub-folder per class, and MNIST-style IDX files.
/// </summary>
public static class ImageDataCatalog
{
    /// <summary>
    /// Lists the images of a folder in the ImageNet layout, one sub-folder per class
    /// (<c>directory/cat/1.jpg</c>, <c>directory/dog/a/2.png</c>, ...), as a data view with a text
    /// label column (the sub-folder's name) and a text column with each image's full path. Follow it
    /// with ML.NET's <c>LoadImages</c>, <c>ResizeImages</c> and <c>ExtractPixels</c> to get pixels:
    /// <code>
    /// var data = ml.Data.LoadImageFolder("photos");
    /// var pixels = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
    ///     .Append(ml.Transforms.ResizeImages("Image", 64, 64))
    ///     .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>Images are files ending in .jpg, .jpeg, .png, .bmp, .gif or .webp (any case), found at any
    /// depth below a class folder; other files, and files and folders whose names start with a dot,
    /// are skipped. Rows are sorted by class name, then by path (ordinal), so the order is the same
    /// on every machine. Only the listing happens here: images are decoded by <c>LoadImages</c>.</para>
    /// <para>A class folder without images is refused (its class could not be learned), naming the
    /// folder. A folder with a single class is accepted: it is valid for scoring or evaluation, and
    /// trainers refuse to train on one class themselves.</para>
    /// </remarks>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="directory">The folder holding one sub-folder per class.</param>
    /// <param name="labelColumnName">Name of the label column (text). Defaults to <c>Label</c>.</param>
    /// <param name="imagePathColumnName">Name of the image path column (text, full paths). Defaults to <c>ImagePath</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">It has no class sub-folders, or a class folder holds no image.</exception>
    public static IDataView LoadImageFolder(this DataOperationsCatalog catalog, string directory,
        string labelColumnName = "Label", string imagePathColumnName = "ImagePath")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(imagePathColumnName);
        if (labelColumnName == imagePathColumnName)
            throw new ArgumentException($"labelColumnName and imagePathColumnName must differ, both are '{labelColumnName}'.", nameof(imagePathColumnName));

        var rows = ImageFolder.List(directory).Select(r => new ImageFolderRow { Label = r.Label, ImagePath = r.ImagePath }).ToList();
        var schema = SchemaDefinition.Create(typeof(ImageFolderRow));
        schema[nameof(ImageFolderRow.Label)].ColumnName = labelColumnName;
        schema[nameof(ImageFolderRow.ImagePath)].ColumnName = imagePathColumnName;
        return catalog.LoadFromEnumerable(rows, schema);
    }

    /// <summary>
    /// Loads an IDX images file and its labels file (the MNIST / Fashion-MNIST format, plain or
    /// gzip-compressed) as a data view with two columns:
    /// <list type="bullet">
    /// <item><c>Label</c>, text: <c>classNames[label]</c> when class names are given, otherwise the label
    /// number itself ("0", "1", ..., "9" for MNIST).</item>
    /// <item><c>Features</c>, a known-size vector of rows×cols <see cref="float"/> values (784 for 28×28),
    /// each pixel byte divided by 255 so values lie in [0, 1], row by row; annotated with
    /// <see cref="ImageShapeAnnotation"/> <c>[1, rows, cols]</c> so CNN trainers know the image shape.</item>
    /// </list>
    /// Rows come in file order; the view can also be shuffled (<c>ml.Data.ShuffleRows</c>, or
    /// trainers' shuffled cursors). It keeps the files' bytes in memory (one byte per pixel) and converts
    /// a row to floats only when it is read.
    /// </summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="imagesFile">IDX file of unsigned bytes with 3 dimensions (count, rows, columns), e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsFile">IDX file of unsigned bytes with 1 dimension (count), e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <param name="classNames">Name of each label number, in order (see <see cref="FashionMnist.ClassNames"/>). Defaults to <see langword="null"/>: labels are the numbers as text.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is not such an IDX file (wrong magic number, wrong number of dimensions, not unsigned bytes),
    /// is truncated, has trailing bytes, or is corrupt gzip; the counts of images and labels differ; or a
    /// label has no class name. Messages name the file.
    /// </exception>
    public static IDataView LoadIdx(this DataOperationsCatalog catalog, string imagesFile, string labelsFile, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var images = IdxFile.Read(imagesFile, 3, "images");
        var labels = IdxFile.Read(labelsFile, 1, "labels");
        return new IdxDataView(images, labels, classNames);
    }

    /// <summary>
    /// Loads the training and test sets of a folder in the MNIST layout (see <see cref="IdxFolder"/>),
    /// e.g. <see cref="FashionMnist.DebianDirectory"/>, with <see cref="LoadIdx"/>.
    /// </summary>
    /// <param name="catalog">The data catalog, <c>mlContext.Data</c>.</param>
    /// <param name="directory">The folder holding <c>train-*</c> and <c>t10k-*</c> IDX files.</param>
    /// <param name="classNames">Name of each label number, in order. Defaults to <see langword="null"/>: labels are the numbers as text.</param>
    /// <returns>The <c>train-*</c> files as <see cref="TrainTestViews.TrainSet"/> and the <c>t10k-*</c> files as <see cref="TrainTestViews.TestSet"/>.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is invalid (see <see cref="LoadIdx"/>).</exception>
    public static TrainTestViews LoadIdxFolder(this DataOperationsCatalog catalog, string directory, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var folder = IdxFolder.Find(directory);
        return new TrainTestViews(
            catalog.LoadIdx(folder.TrainImages, folder.TrainLabels, classNames),
            catalog.LoadIdx(folder.TestImages, folder.TestLabels, classNames));
    }

    /// <summary>One image of an image folder, as <see cref="LoadImageFolder"/> hands it to ML.NET.</summary>
    private sealed class ImageFolderRow
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
