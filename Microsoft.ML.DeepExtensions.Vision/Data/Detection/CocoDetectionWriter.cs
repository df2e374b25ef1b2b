using System.Text.Json;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>Writes a <see cref="DetectionDataset"/> as a COCO instances file (see <see cref="DetectionDataset.WriteCoco"/>).</summary>
internal static class CocoDetectionWriter
{
    public static void Write(DetectionDataset dataset, string jsonPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonPath);
        var json = Path.GetFullPath(jsonPath);
        var folder = Path.GetDirectoryName(json)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Folder '{folder}' for COCO file '{json}' not found.");

        using var stream = File.Create(json);
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteStartArray("images");
        foreach (var image in dataset.Images)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", image.Id);
            writer.WriteString("file_name", Path.GetRelativePath(folder, image.Path).Replace(Path.DirectorySeparatorChar, '/'));
            writer.WriteNumber("width", image.Width);
            writer.WriteNumber("height", image.Height);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        writer.WriteStartArray("annotations");
        long id = 1;
        foreach (var image in dataset.Images)
        {
            foreach (var o in image.Objects)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", id++);
                writer.WriteNumber("image_id", image.Id);
                writer.WriteNumber("category_id", o.ClassIndex + 1);
                writer.WriteStartArray("bbox");
                writer.WriteNumberValue(o.X0);
                writer.WriteNumberValue(o.Y0);
                writer.WriteNumberValue(o.Width);
                writer.WriteNumberValue(o.Height);
                writer.WriteEndArray();
                writer.WriteNumber("area", o.Segmentation is { } s ? s.ToMask(image.Width, image.Height).Area() : (double)o.Width * o.Height);
                writer.WriteNumber("iscrowd", o.IsCrowd ? 1 : 0);
                if (o.Segmentation is { } segmentation)
                    WriteSegmentation(writer, segmentation);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();

        writer.WriteStartArray("categories");
        for (int i = 0; i < dataset.ClassNames.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", i + 1);
            writer.WriteString("name", dataset.ClassNames[i]);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteSegmentation(Utf8JsonWriter writer, ObjectSegmentation segmentation)
    {
        if (segmentation.RunLengths is { } runs)
        {
            writer.WriteStartObject("segmentation");
            writer.WriteStartArray("counts");
            foreach (long run in runs)
                writer.WriteNumberValue(run);
            writer.WriteEndArray();
            writer.WriteStartArray("size");
            writer.WriteNumberValue(segmentation.MaskHeight);
            writer.WriteNumberValue(segmentation.MaskWidth);
            writer.WriteEndArray();
            writer.WriteEndObject();
            return;
        }
        writer.WriteStartArray("segmentation");
        foreach (var polygon in segmentation.Polygons)
        {
            writer.WriteStartArray();
            foreach (float v in polygon)
                writer.WriteNumberValue(v);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}
