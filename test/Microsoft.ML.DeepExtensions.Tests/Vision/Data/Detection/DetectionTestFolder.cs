using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

/// <summary>A temporary folder with helpers to write the images and annotation files of a detection data set.</summary>
internal sealed class DetectionTestFolder : IDisposable
{
    public DetectionTestFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "deepext-detection-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>The absolute path of <paramref name="relative"/> (with <c>/</c>) inside the folder.</summary>
    public string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Writes a gray image of the given size (PNG or JPEG by extension) and returns its path.</summary>
    public string Image(string relative, int width, int height)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(120, 130, 140));
        using var data = bitmap.Encode(path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>Writes a text file and returns its path.</summary>
    public string Text(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
