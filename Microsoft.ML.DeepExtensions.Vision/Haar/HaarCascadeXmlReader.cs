using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Reads OpenCV cascade XML (FileStorage) documents into a <see cref="HaarCascade"/>.
/// Two layouts exist:
/// the current one written by <c>opencv_traincascade</c>
/// (<c>&lt;cascade&gt;</c> with <c>stageType</c>, <c>featureType</c>, <c>width</c>, <c>height</c>,
/// <c>stages</c> of <c>weakClassifiers</c> whose <c>internalNodes</c> are "left right feature threshold"
/// quadruples, and a shared <c>features</c> list), and the old one written by <c>opencv_haartraining</c>
/// (<c>&lt;haarcascade_*&gt;</c> with <c>size</c> and <c>stages</c> of <c>trees</c> whose nodes carry
/// their own <c>feature</c>, <c>threshold</c> and <c>left_val</c>/<c>left_node</c>,
/// <c>right_val</c>/<c>right_node</c>). The old layout is converted the way OpenCV converts it:
/// each node's feature is appended to the feature list, and leaf values are numbered in the order
/// they appear (left before right).
/// </summary>
internal static class HaarCascadeXmlReader
{
    public static HaarCascade Read(Stream stream, string sourceName)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(stream, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"Cascade file '{sourceName}' is not well-formed XML: {e.Message}", e);
        }
        var reader = new Reader(sourceName);
        var storage = document.Root!;
        if (storage.Name.LocalName != "opencv_storage")
            throw reader.Error(storage, "expected the root element <opencv_storage> of an OpenCV FileStorage document");
        var root = storage.Elements().FirstOrDefault()
            ?? throw reader.Error(storage, "is empty; expected a cascade element inside it");
        if (root.Element("stageType") != null)
            return reader.ReadCurrent(root);
        if (root.Element("size") != null && root.Element("stages") != null)
            return reader.ReadOld(root);
        throw reader.Error(root, "is neither a current-format cascade (no <stageType>) nor an old-format Haar cascade (no <size> and <stages>)");
    }

    private sealed class Reader(string sourceName)
    {
        public HaarCascade ReadCurrent(XElement root)
        {
            string stageType = Text(Required(root, "stageType")).Trim();
            if (stageType != "BOOST")
                throw Error(root.Element("stageType")!, $"stage type '{stageType}' is not supported; only BOOST cascades exist");
            var featureTypeElement = Required(root, "featureType");
            string featureType = Text(featureTypeElement).Trim();
            if (featureType != "HAAR")
                throw Error(featureTypeElement, $"feature type '{featureType}' is not supported; this reader loads HAAR cascades only");
            int width = Int(Required(root, "width"));
            int height = Int(Required(root, "height"));
            var maxCatCount = root.Element("featureParams")?.Element("maxCatCount");
            if (maxCatCount != null && Int(maxCatCount) != 0)
                throw Error(maxCatCount, "categorical features (maxCatCount > 0) belong to LBP cascades, not Haar cascades");

            var stages = new List<HaarStage>();
            foreach (var stageElement in Items(Required(root, "stages")))
            {
                float threshold = Float(Required(stageElement, "stageThreshold"));
                var trees = new List<HaarTree>();
                foreach (var weak in Items(Required(stageElement, "weakClassifiers")))
                    trees.Add(ReadCurrentTree(weak));
                stages.Add(Build(stageElement, () => new HaarStage(threshold, trees)));
            }

            var features = new List<HaarFeature>();
            foreach (var featureElement in Items(Required(root, "features")))
                features.Add(ReadFeature(featureElement));
            return Build(root, () => new HaarCascade(width, height, stages, features));
        }

        private HaarTree ReadCurrentTree(XElement weak)
        {
            var nodesElement = Required(weak, "internalNodes");
            string[] values = Numbers(nodesElement);
            if (values.Length == 0 || values.Length % 4 != 0)
                throw Error(nodesElement, $"expected groups of four numbers (left right featureIndex threshold), got {values.Length} numbers");
            var nodes = new List<HaarTreeNode>();
            for (int i = 0; i < values.Length; i += 4)
            {
                nodes.Add(new HaarTreeNode(
                    FeatureIndex: ParseInt(nodesElement, values[i + 2]),
                    Threshold: ParseFloat(nodesElement, values[i + 3]),
                    Left: ParseInt(nodesElement, values[i]),
                    Right: ParseInt(nodesElement, values[i + 1])));
            }
            var leavesElement = Required(weak, "leafValues");
            var leaves = Numbers(leavesElement).Select(v => ParseFloat(leavesElement, v)).ToList();
            return Build(weak, () => new HaarTree(nodes, leaves));
        }

        public HaarCascade ReadOld(XElement root)
        {
            var sizeElement = Required(root, "size");
            string[] size = Numbers(sizeElement);
            if (size.Length != 2)
                throw Error(sizeElement, $"expected two numbers (width height), got {size.Length}");
            int width = ParseInt(sizeElement, size[0]);
            int height = ParseInt(sizeElement, size[1]);

            var features = new List<HaarFeature>();
            var stages = new List<HaarStage>();
            foreach (var stageElement in Items(Required(root, "stages")))
            {
                float threshold = Float(Required(stageElement, "stage_threshold"));
                var trees = new List<HaarTree>();
                foreach (var treeElement in Items(Required(stageElement, "trees")))
                {
                    var nodes = new List<HaarTreeNode>();
                    var leaves = new List<float>();
                    foreach (var nodeElement in Items(treeElement))
                    {
                        int featureIndex = features.Count;
                        features.Add(ReadFeature(Required(nodeElement, "feature")));
                        float nodeThreshold = Float(Required(nodeElement, "threshold"));
                        int left = OldChild(nodeElement, "left", leaves);
                        int right = OldChild(nodeElement, "right", leaves);
                        nodes.Add(new HaarTreeNode(featureIndex, nodeThreshold, left, right));
                    }
                    if (nodes.Count == 0)
                        throw Error(treeElement, "a tree has no nodes");
                    trees.Add(Build(treeElement, () => new HaarTree(nodes, leaves)));
                }
                stages.Add(Build(stageElement, () => new HaarStage(threshold, trees)));
            }
            return Build(root, () => new HaarCascade(width, height, stages, features));
        }

        // A leaf value gets the next leaf number (encoded as its negation); a node reference stays positive.
        private int OldChild(XElement node, string side, List<float> leaves)
        {
            var value = node.Element(side + "_val");
            if (value != null)
            {
                leaves.Add(Float(value));
                return -(leaves.Count - 1);
            }
            var child = node.Element(side + "_node")
                ?? throw Error(node, $"has neither <{side}_val> nor <{side}_node>");
            int index = Int(child);
            if (index <= 0)
                throw Error(child, $"a child node index must be positive, got {index}");
            return index;
        }

        private HaarFeature ReadFeature(XElement featureElement)
        {
            var rectsElement = Required(featureElement, "rects");
            var rectangles = new List<HaarRectangle>();
            foreach (var rectElement in Items(rectsElement))
            {
                string[] v = Numbers(rectElement);
                if (v.Length != 5)
                    throw Error(rectElement, $"expected five numbers (x y width height weight), got {v.Length}");
                rectangles.Add(new HaarRectangle(ParseInt(rectElement, v[0]), ParseInt(rectElement, v[1]),
                    ParseInt(rectElement, v[2]), ParseInt(rectElement, v[3]), ParseFloat(rectElement, v[4])));
            }
            var tiltedElement = featureElement.Element("tilted");
            bool tilted = tiltedElement != null && Int(tiltedElement) != 0;
            return Build(featureElement, () => new HaarFeature(rectangles, tilted));
        }

        public InvalidDataException Error(XElement element, string message, Exception? inner = null)
        {
            var info = (IXmlLineInfo)element;
            string where = info.HasLineInfo() ? $" (line {info.LineNumber})" : "";
            return new InvalidDataException($"Cascade file '{sourceName}': element <{PathOf(element)}>{where}: {message}.", inner);
        }

        private T Build<T>(XElement element, Func<T> build)
        {
            try
            {
                return build();
            }
            catch (ArgumentException e)
            {
                throw Error(element, e.Message.TrimEnd('.'), e);
            }
        }

        private XElement Required(XElement parent, string name) =>
            parent.Element(name) ?? throw Error(parent, $"is missing its <{name}> element");

        // FileStorage writes sequence items as <_> elements.
        private static IEnumerable<XElement> Items(XElement sequence) => sequence.Elements("_");

        private static string Text(XElement element) =>
            string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value));

        private static string[] Numbers(XElement element) =>
            Text(element).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

        private int Int(XElement element)
        {
            string[] v = Numbers(element);
            if (v.Length != 1)
                throw Error(element, $"expected one integer, got '{Text(element).Trim()}'");
            return ParseInt(element, v[0]);
        }

        // OpenCV reads reals as double and casts to float; doing the same keeps the values bit-identical.
        private float Float(XElement element)
        {
            string[] v = Numbers(element);
            if (v.Length != 1)
                throw Error(element, $"expected one number, got '{Text(element).Trim()}'");
            return ParseFloat(element, v[0]);
        }

        private int ParseInt(XElement element, string text) =>
            int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw Error(element, $"'{text}' is not an integer");

        private float ParseFloat(XElement element, string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
                ? (float)value
                : throw Error(element, $"'{text}' is not a finite number");

        private static string PathOf(XElement element)
        {
            var parts = new List<string>();
            for (var e = element; e != null; e = e.Parent)
            {
                string name = e.Name.LocalName;
                if (name == "_" && e.Parent != null)
                    name = $"_[{e.ElementsBeforeSelf("_").Count()}]";
                parts.Add(name);
            }
            parts.Reverse();
            return string.Join('/', parts);
        }
    }
}
