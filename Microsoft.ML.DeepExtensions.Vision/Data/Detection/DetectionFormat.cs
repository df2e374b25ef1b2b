namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>Recognises which detection format a path names (see <see cref="DetectionDataset.Read"/>) and reads it.</summary>
internal static class DetectionFormat
{
    public static DetectionDataset Read(string path, string? split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var extension = Path.GetExtension(full).ToLowerInvariant();
            return extension switch
            {
                ".json" => DetectionDataset.ReadCoco(full),
                ".yaml" or ".yml" => DetectionDataset.ReadYolo(full, split ?? "train"),
                _ => throw new InvalidDataException($"'{full}' is not a detection data set: expected a COCO instances .json file, a YOLO data.yaml, or a Pascal VOC folder."),
            };
        }
        if (!Directory.Exists(full))
            throw new FileNotFoundException($"Detection data '{full}' not found.", full);
        foreach (var yaml in new[] { "data.yaml", "data.yml" })
        {
            if (File.Exists(Path.Combine(full, yaml)))
                return DetectionDataset.ReadYolo(Path.Combine(full, yaml), split ?? "train");
        }
        if (Directory.Exists(Path.Combine(full, "Annotations")))
            return DetectionDataset.ReadVoc(full, split);
        var coco = Path.Combine(full, "annotations", $"instances_{split ?? "train"}.json");
        if (File.Exists(coco))
            return DetectionDataset.ReadCoco(coco);
        throw new InvalidDataException(
            $"Folder '{full}' is not a detection data set: it has no data.yaml (YOLO), no Annotations/ folder (Pascal VOC) and no annotations/instances_{split ?? "train"}.json (COCO).");
    }
}
