using System.Globalization;
using System.Text;
using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;

/// <summary>
/// The YOLO networks the trainer knows by name, written as Darknet cfgs so that every one trains, saves and exports
/// the same way as a user's own cfg file:
/// <list type="bullet">
/// <item><c>yolov3</c>: YOLOv3 (Redmon and Farhadi, 2018): the Darknet-53 backbone (52 convolutions with residual
/// shortcuts) and three detection scales at strides 32, 16 and 8, three anchors each;</item>
/// <item><c>yolov3-tiny</c>: YOLOv3-tiny: seven 3x3 convolutions with max pooling and two scales at strides 32 and 16,
/// three anchors each;</item>
/// <item><c>yolov3-tiny-3l</c>: YOLOv3-tiny with a third scale at stride 8 (AlexeyAB's <c>yolov3-tiny_3l.cfg</c>) and
/// YOLOv3's nine anchors: the head small objects need, for about a fifth more computation.</item>
/// </list>
/// Both take <c>:width=W</c> (e.g. <c>yolov3-tiny:width=0.5</c>), which multiplies every hidden convolution's filters
/// by W (at least 8), trading accuracy for speed. Layer for layer they are Darknet's <c>yolov3.cfg</c> and
/// <c>yolov3-tiny.cfg</c> (checked against the cfgs Debian's darknet package ships), with the paper's ignore threshold
/// 0.5, and in YOLOv3-tiny's second head the mask 0,1,2 (Darknet's file says 1,2,3, leaving the smallest anchor unused).
/// </summary>
public static class YoloArchitectures
{
    /// <summary>The names <see cref="Get"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "yolov3-tiny", "yolov3-tiny-3l", "yolov3" };

    /// <summary>YOLOv3's anchors in pixels of a 416x416 input (the paper's COCO clusters).</summary>
    public static IReadOnlyList<(float Width, float Height)> YoloV3Anchors { get; } = new (float, float)[]
    {
        (10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119), (116, 90), (156, 198), (373, 326),
    };

    /// <summary>YOLOv3-tiny's anchors in pixels of a 416x416 input.</summary>
    public static IReadOnlyList<(float Width, float Height)> YoloV3TinyAnchors { get; } = new (float, float)[]
    {
        (10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319),
    };

    /// <summary>The input side the paper's anchors are given for.</summary>
    public const int PaperInputSize = 416;

    /// <summary>True when <paramref name="name"/> is a built-in architecture (with or without parameters), not a cfg file.</summary>
    public static bool IsBuiltIn(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Names.Contains(BuildingBlockSpec.Parse(name, "YOLO architecture").Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The cfg of a built-in architecture (<c>yolov3</c>, <c>yolov3-tiny</c>, optionally <c>:width=W</c>) or, for any
    /// other name, of the Darknet cfg file at that path, for 80 classes and a 416x416 input until the trainer sets them.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name that is not a file (the message lists the known names), or a bad width.</exception>
    /// <exception cref="DarknetFormatException">The cfg file is malformed.</exception>
    public static DarknetConfig Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!IsBuiltIn(name))
        {
            if (File.Exists(name))
                return DarknetConfig.Load(name);
            throw new ArgumentException($"Unknown YOLO architecture '{name}': expected one of {string.Join(", ", Names)} (optionally ':width=W') or the path of a Darknet .cfg file.", nameof(name));
        }
        var spec = BuildingBlockSpec.Parse(name, "YOLO architecture");
        double width = 1;
        foreach (var (key, value) in spec.Arguments)
        {
            if (!key.Equals("width", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"YOLO architecture '{name}': unknown parameter '{key}'; the only parameter is width (a filter multiplier, e.g. {spec.Name}:width=0.5).", nameof(name));
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out width) || !(width > 0 && width <= 4))
                throw new ArgumentException($"YOLO architecture '{name}': width must be a number in (0, 4], got '{value}'.", nameof(name));
        }
        var text = spec.Name.ToLowerInvariant() switch
        {
            "yolov3" => YoloV3(width),
            "yolov3-tiny-3l" => YoloV3Tiny(width, threeScales: true),
            _ => YoloV3Tiny(width, threeScales: false),
        };
        return DarknetConfig.Parse(text, name);
    }

    private static string YoloV3Tiny(double width, bool threeScales)
    {
        var cfg = new CfgWriter(width, threeScales ? YoloV3Anchors : YoloV3TinyAnchors);
        int[] filters = { 16, 32, 64, 128, 256 };
        var stageOutputs = new List<int>();
        foreach (int f in filters)
        {
            stageOutputs.Add(cfg.Convolution(f, 3));
            cfg.MaxPool(2, 2);
        }
        cfg.Convolution(512, 3);
        cfg.MaxPool(2, 1);
        cfg.Convolution(1024, 3);
        int branch = cfg.Convolution(256, 1);
        cfg.Convolution(512, 3);
        cfg.Head(threeScales ? new[] { 6, 7, 8 } : new[] { 3, 4, 5 });
        cfg.Route(branch);
        cfg.Convolution(128, 1);
        cfg.Upsample();
        cfg.Route(cfg.Last, stageOutputs[4]);
        branch = cfg.Convolution(256, 3);
        cfg.Head(threeScales ? new[] { 3, 4, 5 } : new[] { 0, 1, 2 });
        if (threeScales)
        {
            // AlexeyAB's yolov3-tiny_3l: a third head at stride 8 on the stride-16 head's features, upsampled and
            // joined with the backbone's stride-8 convolution, for objects of a few cells.
            cfg.Route(branch);
            cfg.Convolution(64, 1);
            cfg.Upsample();
            cfg.Route(cfg.Last, stageOutputs[3]);
            cfg.Convolution(128, 3);
            cfg.Head(new[] { 0, 1, 2 });
        }
        return cfg.ToString();
    }

    private static string YoloV3(double width)
    {
        var cfg = new CfgWriter(width, YoloV3Anchors);
        cfg.Convolution(32, 3);
        var stageOutputs = new List<int>();
        foreach (var (filters, blocks) in new[] { (64, 1), (128, 2), (256, 8), (512, 8), (1024, 4) })
        {
            cfg.Convolution(filters, 3, stride: 2);
            for (int b = 0; b < blocks; b++)
            {
                cfg.Convolution(filters / 2, 1);
                cfg.Convolution(filters, 3);
                cfg.Shortcut();
            }
            stageOutputs.Add(cfg.Last);
        }
        int[][] masks = { new[] { 6, 7, 8 }, new[] { 3, 4, 5 }, new[] { 0, 1, 2 } };
        int[] headFilters = { 512, 256, 128 };
        for (int scale = 0; scale < 3; scale++)
        {
            if (scale > 0)
            {
                cfg.Route(cfg.Last - 3);
                cfg.Convolution(headFilters[scale], 1);
                cfg.Upsample();
                cfg.Route(cfg.Last, stageOutputs[4 - scale]);
            }
            int f = headFilters[scale];
            cfg.Convolution(f, 1);
            cfg.Convolution(2 * f, 3);
            cfg.Convolution(f, 1);
            cfg.Convolution(2 * f, 3);
            cfg.Convolution(f, 1);
            cfg.Convolution(2 * f, 3);
            cfg.Head(masks[scale]);
        }
        return cfg.ToString();
    }

    /// <summary>Writes cfg sections, numbering the layers as Darknet does (0 = the first after <c>[net]</c>).</summary>
    private sealed class CfgWriter
    {
        private const int Classes = 80;
        private readonly StringBuilder _text = new();
        private readonly double _width;
        private readonly IReadOnlyList<(float Width, float Height)> _anchors;

        public CfgWriter(double width, IReadOnlyList<(float Width, float Height)> anchors)
        {
            _width = width;
            _anchors = anchors;
            _text.Append(CultureInfo.InvariantCulture, $"[net]\nbatch=1\nsubdivisions=1\nwidth={PaperInputSize}\nheight={PaperInputSize}\nchannels=3\n");
        }

        /// <summary>Index of the last layer written.</summary>
        public int Last { get; private set; } = -1;

        public int Convolution(int filters, int size, int stride = 1) =>
            Section($"[convolutional]\nbatch_normalize=1\nfilters={Scaled(filters)}\nsize={size}\nstride={stride}\npad=1\nactivation=leaky\n");

        public int MaxPool(int size, int stride) => Section($"[maxpool]\nsize={size}\nstride={stride}\n");

        public int Shortcut() => Section("[shortcut]\nfrom=-3\nactivation=linear\n");

        public int Upsample() => Section("[upsample]\nstride=2\n");

        public int Route(params int[] layers) => Section($"[route]\nlayers={string.Join(",", layers)}\n");

        /// <summary>The 1x1 output convolution and its <c>[yolo]</c> section.</summary>
        public void Head(int[] mask)
        {
            Section($"[convolutional]\nsize=1\nstride=1\npad=1\nfilters={mask.Length * (Classes + 5)}\nactivation=linear\n");
            var anchors = string.Join(", ", _anchors.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Width},{a.Height}")));
            Section($"[yolo]\nmask={string.Join(",", mask)}\nanchors={anchors}\nclasses={Classes}\nnum={_anchors.Count}\nignore_thresh=0.5\ntruth_thresh=1\n");
        }

        public override string ToString() => _text.ToString();

        private int Scaled(int filters) => Math.Max(8, (int)Math.Round(filters * _width));

        private int Section(string text)
        {
            _text.Append('\n').Append(text);
            return ++Last;
        }
    }
}
