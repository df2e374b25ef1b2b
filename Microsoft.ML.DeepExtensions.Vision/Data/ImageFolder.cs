namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// Lists a folder in the ImageNet layout: one sub-folder per class, named after the class, holding
/// that class's images (at any depth below it). Used by <see cref="ImageDataCatalog.LoadImageFolder"/>.
/// </summary>
internal static class ImageFolder
{
    /// <summary>File extensions read as images, compared case-insensitively; the formats ML.NET's <c>LoadImages</c> (SkiaSharp) decodes.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = Array.AsReadOnly(new[] { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp" });

    /// <summary>
    /// The images of every class, ordered by class name then by path below the class folder
    /// (ordinal comparison, so the order is the same on every machine). Folders and files whose
    /// name starts with a dot are skipped, as are files of other extensions.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">It has no class sub-folders, or a class sub-folder holds no image.</exception>
    public static IReadOnlyList<(string Label, string ImagePath)> List(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' not found.");

        var classFolders = Directory.EnumerateDirectories(root)
            .Where(d => !IsHidden(d))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classFolders.Count == 0)
        {
            int loose = Directory.EnumerateFiles(root).Count(IsImage);
            var hint = loose > 0 ? $" It holds {loose} image(s) directly; move each class's images into a sub-folder named after the class." : "";
            throw new InvalidDataException(
                $"Image folder '{root}' has no class sub-folders; expected one sub-folder per class (ImageNet layout: {Path.Combine(root, "<class>", "<image>.jpg")}).{hint}");
        }

        var rows = new List<(string Label, string ImagePath)>();
        var emptyClasses = new List<string>();
        foreach (var classFolder in classFolders)
        {
            var label = Path.GetFileName(classFolder);
            var images = Directory.EnumerateFiles(classFolder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System })
                .Where(f => IsImage(f) && !Path.GetRelativePath(classFolder, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                emptyClasses.Add(label);
            rows.AddRange(images.Select(image => (label, image)));
        }

        if (emptyClasses.Count > 0)
            throw new InvalidDataException(
                $"Class folder(s) {string.Join(", ", emptyClasses.Select(c => $"'{c}'"))} in image folder '{root}' hold no images ({string.Join(", ", ImageExtensions)}); a class without examples cannot be learned: add images or remove the folder.");
        return rows;
    }

    private static bool IsImage(string path) =>
        !Path.GetFileName(path).StartsWith('.') && ImageExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');
}
