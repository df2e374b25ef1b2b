using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeepExtensions.Cli.Haar;

/// <summary>Image files as ML.NET data with an <c>Image</c> column, read by ML.NET's <c>LoadImages</c>.</summary>
public static class PathImages
{
    public const string ImageColumn = "Image";

    private sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    public static IDataView Load(MLContext ml, IEnumerable<string> files)
    {
        var paths = ml.Data.LoadFromEnumerable(files.Select(f => new PathRow { Path = Path.GetFullPath(f) }).ToList());
        return ml.Transforms.LoadImages(ImageColumn, imageFolder: null, inputColumnName: nameof(PathRow.Path)).Fit(paths).Transform(paths);
    }
}
