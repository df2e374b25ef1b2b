using DeepExtensions.Cli.Commands;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data;

namespace DeepExtensions.Cli.Pipelines;

/// <summary>Where a set of labelled images comes from.</summary>
public enum ImageSourceKind
{
    /// <summary>MNIST's IDX files (gzipped or not): train-* and t10k-* images and labels.</summary>
    Idx,

    /// <summary>One sub-folder of image files per class (the ImageNet layout).</summary>
    Folder,
}

/// <summary>
/// Labelled images read from a directory given on the command line: an IDX folder (e.g. Debian's
/// <c>/usr/share/datasets/fashion-mnist</c>, whose t10k files are the test set) or a folder of
/// class sub-folders, optionally split into <c>train/</c> and <c>test/</c> sub-folders.
/// </summary>
/// <param name="Path">The directory (or sub-directory) the images come from.</param>
/// <param name="Kind">How they are stored.</param>
/// <param name="Data">A <c>Label</c> text column and either <c>Features</c> (IDX pixels) or <c>ImagePath</c>.</param>
/// <param name="Classes">The class names in the order the model's keys use.</param>
public sealed record ImageDataSet(string Path, ImageSourceKind Kind, IDataView Data, IReadOnlyList<string> Classes)
{
    /// <summary>Image files of the folder that could not be read: reported and left out (see <see cref="ImageFiles"/>).</summary>
    public int Unreadable { get; init; }

    /// <summary>The training set and, when the directory holds one, its test set.</summary>
    /// <param name="context">Where unreadable image files are reported; each is left out of the set.</param>
    public static (ImageDataSet Train, ImageDataSet? Test) Open(MLContext mlContext, string directory, string option, IReadOnlyList<string>? classNames, CliContext context)
    {
        if (!Directory.Exists(directory))
            throw CliException.DataError(File.Exists(directory)
                ? $"{option} '{directory}' is a file: expected a directory of IDX files or of class sub-folders"
                : $"{option} '{directory}' not found");
        try
        {
            if (IdxFolder.IsIdxFolder(directory))
            {
                var names = classNames ?? DefaultIdxClassNames(directory);
                var views = mlContext.Data.LoadIdxFolder(directory, names);
                return (new ImageDataSet(directory, ImageSourceKind.Idx, views.TrainSet, names),
                    new ImageDataSet(directory, ImageSourceKind.Idx, views.TestSet, names));
            }
            string trainDirectory = System.IO.Path.Combine(directory, "train"), testDirectory = System.IO.Path.Combine(directory, "test");
            if (Directory.Exists(trainDirectory) && Directory.Exists(testDirectory))
                return (Folder(mlContext, trainDirectory, context), Folder(mlContext, testDirectory, context));
            return (Folder(mlContext, directory, context), null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
        {
            throw CliException.DataError($"{option} '{directory}': {Messages.OneLine(e)}");
        }
    }

    /// <summary>Another labelled set in the training set's format (--test, --validation, evaluate's --data).</summary>
    public static ImageDataSet OpenLike(MLContext mlContext, ImageSourceKind kind, string directory, string option, IReadOnlyList<string> classes, CliContext context)
    {
        var (train, test) = Open(mlContext, directory, option, kind == ImageSourceKind.Idx ? classes : null, context);
        if (train.Kind != kind)
            throw CliException.DataError($"{option} '{directory}' holds {Describe(train.Kind)}, but the model was trained on {Describe(kind)}");
        // A folder with its own test part (t10k files, test/ sub-folder): that part is what is meant.
        return test ?? train;
    }

    /// <summary>
    /// A folder of class sub-folders; every image is decoded once first, so that an unreadable one is
    /// reported and left out instead of stopping ML.NET's <c>LoadImages</c> in the middle of training.
    /// </summary>
    private static ImageDataSet Folder(MLContext mlContext, string directory, CliContext context)
    {
        var listed = mlContext.Data.LoadImageFolder(directory);
        var labels = listed.GetColumn<string>(ImagePipeline.LabelColumn).ToArray();
        var paths = listed.GetColumn<string>(ImagePipeline.ImagePathColumn).ToArray();
        var readable = ImageFiles.Readable(paths, context).ToHashSet(StringComparer.Ordinal);
        var data = readable.Count == paths.Length
            ? listed
            : mlContext.Data.LoadFromEnumerable(labels.Zip(paths).Where(r => readable.Contains(r.Second)).Select(r => new LabelledImage { Label = r.First, ImagePath = r.Second }).ToList());
        var classes = Directory.GetDirectories(directory).Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        return new ImageDataSet(directory, ImageSourceKind.Folder, data, classes) { Unreadable = paths.Length - readable.Count };
    }

    private sealed class LabelledImage
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }

    /// <summary>Fashion-MNIST's names for a folder that says it is Fashion-MNIST; the digits otherwise.</summary>
    private static IReadOnlyList<string> DefaultIdxClassNames(string directory) =>
        System.IO.Path.GetFullPath(directory).Contains("fashion", StringComparison.OrdinalIgnoreCase)
            ? FashionMnist.ClassNames
            : Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static string Describe(ImageSourceKind kind) => kind == ImageSourceKind.Idx ? "IDX files" : "a folder of class sub-folders";
}
