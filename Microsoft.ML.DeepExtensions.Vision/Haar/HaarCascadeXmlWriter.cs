using System.Globalization;
using System.Text;
using System.Xml;

namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// Writes a <see cref="HaarCascade"/> in OpenCV's current cascade XML format (the layout
/// <c>opencv_traincascade</c> writes), so that <c>cv::CascadeClassifier</c> and
/// <see cref="HaarCascade.Load(string)"/> read back exactly the same numbers.
/// </summary>
internal static class HaarCascadeXmlWriter
{
    public static void Write(HaarCascade cascade, Stream stream)
    {
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), CloseOutput = false };
        using var w = XmlWriter.Create(stream, settings);
        w.WriteStartDocument();
        w.WriteStartElement("opencv_storage");
        w.WriteStartElement("cascade");
        w.WriteAttributeString("type_id", "opencv-cascade-classifier");
        w.WriteElementString("stageType", "BOOST");
        w.WriteElementString("featureType", "HAAR");
        w.WriteElementString("height", Int(cascade.WindowHeight));
        w.WriteElementString("width", Int(cascade.WindowWidth));
        w.WriteStartElement("stageParams");
        w.WriteElementString("maxWeakCount", Int(cascade.Stages.Max(s => s.Trees.Count)));
        w.WriteEndElement();
        w.WriteStartElement("featureParams");
        w.WriteElementString("maxCatCount", "0");
        w.WriteEndElement();
        w.WriteElementString("stageNum", Int(cascade.Stages.Count));

        w.WriteStartElement("stages");
        foreach (var stage in cascade.Stages)
        {
            w.WriteStartElement("_");
            w.WriteElementString("maxWeakCount", Int(stage.Trees.Count));
            w.WriteElementString("stageThreshold", Real(stage.Threshold));
            w.WriteStartElement("weakClassifiers");
            foreach (var tree in stage.Trees)
            {
                w.WriteStartElement("_");
                w.WriteElementString("internalNodes", string.Join(' ', tree.Nodes.Select(n =>
                    $"{Int(n.Left)} {Int(n.Right)} {Int(n.FeatureIndex)} {Real(n.Threshold)}")));
                w.WriteElementString("leafValues", string.Join(' ', tree.Leaves.Select(Real)));
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("features");
        foreach (var feature in cascade.Features)
        {
            w.WriteStartElement("_");
            w.WriteStartElement("rects");
            foreach (var r in feature.Rectangles)
                w.WriteElementString("_", $"{Int(r.X)} {Int(r.Y)} {Int(r.Width)} {Int(r.Height)} {Real(r.Weight)}");
            w.WriteEndElement();
            if (feature.Tilted)
                w.WriteElementString("tilted", "1");
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    // OpenCV parses reals as double and casts to float: the float's exact double value, written
    // with round-trip precision, comes back as the same float.
    private static string Real(float value)
    {
        string text = ((double)value).ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".";
    }
}
