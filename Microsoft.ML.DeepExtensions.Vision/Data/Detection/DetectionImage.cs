namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// One image of a detection data set: its file (absolute path), its size in pixels (read from the file's header
/// when the data set is loaded) and its labelled objects (none for a background image).
/// </summary>
public sealed class DetectionImage
{
    private readonly DetectionObject[] _objects;

    /// <param name="id">The image's id: COCO's <c>id</c>, otherwise its 1-based position in the data set.</param>
    /// <param name="path">The image file, made absolute.</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="objects">The labelled objects; every box must lie inside the image.</param>
    public DetectionImage(long id, string path, int width, int height, IEnumerable<DetectionObject> objects)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(objects);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(width <= 0 ? nameof(width) : nameof(height), $"Image '{path}' must have a positive size, got {width}x{height}.");
        _objects = objects.ToArray();
        foreach (var o in _objects)
        {
            ArgumentNullException.ThrowIfNull(o, nameof(objects));
            if (o.X0 < 0 || o.Y0 < 0 || o.X1 > width || o.Y1 > height)
                throw new ArgumentException($"Image '{path}': box ({o.X0}, {o.Y0}, {o.X1}, {o.Y1}) lies outside the {width}x{height} image.", nameof(objects));
        }
        Id = id;
        Path = System.IO.Path.GetFullPath(path);
        Width = width;
        Height = height;
    }

    public long Id { get; }

    /// <summary>The image file, absolute.</summary>
    public string Path { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The labelled objects, in the order of the annotation file; empty for a background image.</summary>
    public IReadOnlyList<DetectionObject> Objects => _objects;

    public override string ToString() => $"{Path} ({Width}x{Height}, {_objects.Length} objects)";
}
