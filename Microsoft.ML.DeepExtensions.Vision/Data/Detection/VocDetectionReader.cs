using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Microsoft.ML.DeepExtensions.Vision.Data.Detection;

/// <summary>
/// Reads a Pascal VOC folder: <c>Annotations/*.xml</c> (one per image: <c>filename</c>, <c>size</c>, and per
/// object <c>name</c>, <c>difficult</c>, <c>bndbox</c>), images in <c>JPEGImages/</c>, and optionally a split's
/// image ids in <c>ImageSets/Main/&lt;split&gt;.txt</c>.
/// </summary>
/// <remarks>
/// VOC's corners are 1-based pixel indices, inclusive: a box over pixel columns 0..9 is written
/// <c>xmin = 1, xmax = 10</c>. They become x0 = xmin - 1, x1 = xmax (as Detectron2 reads them), the convention of
/// <see cref="DetectionObject"/>. Difficult objects are kept as crowd regions, which the metrics ignore, as VOC's do.
/// </remarks>
internal static class VocDetectionReader
{
    private sealed record VocObject(string Name, bool Difficult, double XMin, double YMin, double XMax, double YMax, int Line);

    private sealed record VocAnnotation(string File, string Id, string ImageName, int Width, int Height, IReadOnlyList<VocObject> Objects);

    public static DetectionDataset Read(string folder, string? split, IReadOnlyList<string>? classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var root = Path.GetFullPath(folder);
        var annotationFolder = Path.Combine(root, "Annotations");
        if (!Directory.Exists(annotationFolder))
            throw new DirectoryNotFoundException($"'{root}' is not a Pascal VOC folder: it has no Annotations/ folder.");
        var all = Directory.EnumerateFiles(annotationFolder, "*.xml").Order(StringComparer.Ordinal).Select(Parse).ToArray();

        string[] names;
        if (classNames is null)
        {
            names = all.SelectMany(a => a.Objects.Select(o => o.Name)).Distinct().Order(StringComparer.Ordinal).ToArray();
            if (names.Length == 0)
                throw new InvalidDataException($"'{annotationFolder}' holds no objects, so no class names; give the class names.");
        }
        else
        {
            names = classNames.ToArray();
        }
        var classOf = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

        IEnumerable<VocAnnotation> chosen = all;
        if (split is not null)
        {
            var list = Path.Combine(root, "ImageSets", "Main", split + ".txt");
            if (!File.Exists(list))
            {
                var main = Path.Combine(root, "ImageSets", "Main");
                var splits = Directory.Exists(main) ? Directory.EnumerateFiles(main, "*.txt").Select(Path.GetFileNameWithoutExtension).Where(s => !s!.Contains('_')).Order() : Enumerable.Empty<string?>();
                throw new FileNotFoundException($"Split '{split}' of VOC folder '{root}' not found: no '{list}'. Splits: {string.Join(", ", splits)}.", list);
            }
            var byId = all.ToDictionary(a => a.Id, StringComparer.Ordinal);
            chosen = File.ReadLines(list).Select((line, i) => (Id: line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), Line: i + 1))
                .Where(p => p.Id is not null)
                .Select(p => byId.TryGetValue(p.Id!, out var a) ? a
                    : throw new FileNotFoundException($"'{list}' line {p.Line}: image id '{p.Id}' has no annotation file '{Path.Combine(annotationFolder, p.Id + ".xml")}'.", p.Id));
        }

        var images = chosen.Select((a, index) =>
        {
            var path = Path.Combine(root, "JPEGImages", a.ImageName);
            var (width, height) = ImageHeader.ReadSize(path, $"'{a.File}'");
            if ((a.Width > 0 && a.Width != width) || (a.Height > 0 && a.Height != height))
                throw new InvalidDataException($"'{a.File}': size says {a.Width}x{a.Height}, but image file '{path}' is {width}x{height}.");
            var objects = a.Objects.Select(o =>
            {
                string where = $"'{a.File}' line {o.Line}";
                if (!classOf.TryGetValue(o.Name, out int classIndex))
                    throw new InvalidDataException($"{where}: class '{o.Name}' is not among the class names ({string.Join(", ", names)}).");
                var (x0, y0, x1, y1) = DetectionBoxRules.Clip(o.XMin - 1, o.YMin - 1, o.XMax, o.YMax, width, height, where);
                return new DetectionObject(classIndex, x0, y0, x1, y1, o.Difficult);
            });
            return new DetectionImage(index + 1, path, width, height, objects);
        }).ToArray();
        return new DetectionDataset(names, images);
    }

    private static VocAnnotation Parse(string file)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(file, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            throw new InvalidDataException($"'{file}' is not valid XML: {ex.Message}", ex);
        }
        var root = document.Root!;
        if (root.Name.LocalName != "annotation")
            throw new InvalidDataException($"'{file}' line {Line(root)}: a VOC annotation's root element is <annotation>, got <{root.Name.LocalName}>.");
        var id = Path.GetFileNameWithoutExtension(file);
        var imageName = root.Element("filename")?.Value.Trim() is { Length: > 0 } name ? name : id + ".jpg";
        var size = root.Element("size");
        int width = size is null ? 0 : (int)Number(file, size, "width", optional: true);
        int height = size is null ? 0 : (int)Number(file, size, "height", optional: true);
        var objects = root.Elements("object").Select(o =>
        {
            var objectName = o.Element("name")?.Value.Trim();
            if (string.IsNullOrEmpty(objectName))
                throw new InvalidDataException($"'{file}' line {Line(o)}: <object> has no <name>.");
            var box = o.Element("bndbox") ?? throw new InvalidDataException($"'{file}' line {Line(o)}: <object> '{objectName}' has no <bndbox>.");
            bool difficult = o.Element("difficult") is { } d && Number(file, o, "difficult", optional: false) != 0;
            return new VocObject(objectName, difficult, Number(file, box, "xmin"), Number(file, box, "ymin"), Number(file, box, "xmax"), Number(file, box, "ymax"), Line(o));
        }).ToArray();
        return new VocAnnotation(file, id, imageName, width, height, objects);
    }

    private static double Number(string file, XElement parent, string name, bool optional = false)
    {
        var element = parent.Element(name);
        if (element is null)
        {
            return optional ? 0 : throw new InvalidDataException($"'{file}' line {Line(parent)}: <{parent.Name.LocalName}> has no <{name}>.");
        }
        if (!double.TryParse(element.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new InvalidDataException($"'{file}' line {Line(element)}: <{name}> '{element.Value}' is not a number.");
        return value;
    }

    private static int Line(XElement element) => ((IXmlLineInfo)element).LineNumber;
}
