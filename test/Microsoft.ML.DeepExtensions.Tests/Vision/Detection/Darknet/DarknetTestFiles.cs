using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>The cfg files copied from Debian's darknet package (/usr/share/darknet/cfg) and the golden files beside this file.</summary>
internal static class DarknetTestFiles
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Darknet");

    /// <summary>The names of the shipped cfgs the parser must handle.</summary>
    public static readonly string[] ShippedConfigs =
    {
        "yolov3", "yolov3-tiny", "yolov3-spp", "yolov3-voc", "darknet53", "darknet19",
        "alexnet", "vgg-16", "resnet18", "resnet34", "resnet50", "extraction",
    };

    private static readonly Lazy<JsonElement> GoldenRoot = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "darknet_golden.json"))).RootElement);

    /// <summary>The committed darknet_golden.json (generate_darknet_golden.py).</summary>
    public static JsonElement Golden => GoldenRoot.Value;

    public static string ConfigPath(string name) => Path.Combine(Directory, "cfg", name + ".cfg");

    public static DarknetConfig Config(string name) => DarknetConfig.Load(ConfigPath(name));
}
