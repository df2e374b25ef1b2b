using System.Globalization;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Reads a split of an Ultralytics/YOLO data set: the images <see cref="YoloDataYaml"/> lists and, for each, the
/// label file at the same path with the last <c>images</c> folder replaced by <c>labels</c> and the extension by
/// <c>.txt</c> (Ultralytics' rule). A label line is <c>class cx cy w h</c> (a box) or <c>class x1 y1 x2 y2 ...</c>
/// (a segment polygon of at least 3 points, whose bounds are the box), all coordinates normalized to [0, 1] by the
/// image's size. An image without a label file, or with an empty one, is a background image.
/// </summary>
internal static class YoloDetectionReader
{
    public static DetectionDataset Read(string dataYamlPath, string split)
    {
        var yaml = YoloDataYaml.Read(dataYamlPath);
        var images = yaml.Images(split);
        var result = new List<DetectionImage>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var (width, height) = ImageHeader.ReadSize(images[i], $"'{yaml.Path}' split '{split}'");
            var labels = LabelFile(images[i]);
            var objects = File.Exists(labels) ? ReadLabels(labels, yaml.ClassNames.Count, width, height) : new List<DetectionObject>();
            result.Add(new DetectionImage(i + 1, images[i], width, height, objects));
        }
        return new DetectionDataset(yaml.ClassNames, result);
    }

    /// <summary>Ultralytics' label path of an image: the last <c>/images/</c> of the path becomes <c>/labels/</c>, the extension <c>.txt</c>.</summary>
    public static string LabelFile(string image)
    {
        char s = Path.DirectorySeparatorChar;
        string marker = $"{s}images{s}";
        int at = image.LastIndexOf(marker, StringComparison.Ordinal);
        var path = at < 0 ? image : image[..at] + $"{s}labels{s}" + image[(at + marker.Length)..];
        return Path.ChangeExtension(path, ".txt");
    }

    private static List<DetectionObject> ReadLabels(string file, int classCount, int width, int height)
    {
        var objects = new List<DetectionObject>();
        int number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
                continue;
            string where = $"'{file}' line {number}";
            if (fields.Length != 5 && (fields.Length < 7 || fields.Length % 2 == 0))
                throw new InvalidDataException($"{where}: {fields.Length} values; a label line is 'class cx cy w h' (5 values) or 'class x1 y1 x2 y2 x3 y3 ...' (a class and at least 3 points).");
            if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int classIndex))
                throw new InvalidDataException($"{where}: class '{fields[0]}' is not a class index (0, 1, ...).");
            if (classIndex >= classCount)
                throw new InvalidDataException($"{where}: class {classIndex} is not below the data set's {classCount} classes (nc).");
            var values = new float[fields.Length - 1];
            for (int k = 1; k < fields.Length; k++)
            {
                if (!float.TryParse(fields[k], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    throw new InvalidDataException($"{where}: value {k + 1} '{fields[k]}' is not a number.");
                if (v < 0 || v > 1)
                    throw new InvalidDataException($"{where}: value {k + 1} is {fields[k]}, outside [0, 1]; YOLO coordinates are normalized by the image's size.");
                values[k - 1] = v;
            }
            if (values.Length == 4)
            {
                float cx = values[0], cy = values[1], w = values[2], h = values[3];
                if (w <= 0 || h <= 0)
                    throw new InvalidDataException($"{where}: box size {fields[3]}x{fields[4]} is not positive.");
                var (x0, y0, x1, y1) = DetectionBoxRules.Clip((cx - w / 2.0) * width, (cy - h / 2.0) * height, (cx + w / 2.0) * width, (cy + h / 2.0) * height, width, height, where);
                objects.Add(new DetectionObject(classIndex, x0, y0, x1, y1));
            }
            else
            {
                var polygon = new float[values.Length];
                for (int k = 0; k < values.Length; k += 2)
                {
                    polygon[k] = values[k] * width;
                    polygon[k + 1] = values[k + 1] * height;
                }
                var segmentation = ObjectSegmentation.FromPolygons(new[] { polygon });
                var (bx0, by0, bx1, by1) = segmentation.Bounds()!.Value;
                var (x0, y0, x1, y1) = DetectionBoxRules.Clip(bx0, by0, bx1, by1, width, height, where);
                objects.Add(new DetectionObject(classIndex, x0, y0, x1, y1, segmentation: segmentation));
            }
        }
        return objects;
    }
}
