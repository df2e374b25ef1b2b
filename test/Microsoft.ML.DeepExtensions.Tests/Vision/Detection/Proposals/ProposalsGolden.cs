using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;

/// <summary>proposals_golden.json, written from OpenCV 4.6 by generate_proposals_golden.py beside this file.</summary>
internal static class ProposalsGolden
{
    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vision", "Detection", "Proposals", "proposals_golden.json"))).RootElement);

    private static readonly Lazy<(byte[] Bgr, int Width, int Height)[]> Images = new(() =>
        Section("images").EnumerateArray().Select(DecodeImage).ToArray());

    public static JsonElement Section(string name) => Root.Value.GetProperty(name);

    /// <summary>Golden photo <paramref name="index"/> as interleaved BGR bytes (decoded from lossless PNG).</summary>
    public static (byte[] Bgr, int Width, int Height) Image(int index) => Images.Value[index];

    /// <summary>Golden photo <paramref name="index"/> as an MLImage.</summary>
    public static MLImage MLImage(int index)
    {
        var png = Convert.FromBase64String(Section("images")[index].GetProperty("png").GetString()!);
        return Microsoft.ML.Data.MLImage.CreateFromStream(new MemoryStream(png));
    }

    /// <summary>zlib-compressed little-endian uint16 labels.</summary>
    public static int[] Labels(JsonElement segmentation)
    {
        using var zlib = new ZLibStream(new MemoryStream(Convert.FromBase64String(segmentation.GetProperty("labels").GetString()!)), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        var bytes = raw.ToArray();
        var labels = new int[bytes.Length / 2];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
        return labels;
    }

    /// <summary>The colour-space image OpenCV's goldens were computed on.</summary>
    public static (byte[] Pixels, int Channels) ColourSpace(int image, string space)
    {
        var (bgr, _, _) = Image(image);
        return space switch
        {
            "bgr" => (bgr, 3),
            "hsv" => (HsvConversion.FromBgr(bgr), 3),
            "lab" => (LabConversion.FromBgr(bgr), 3),
            "gray" => (GrayOf(bgr), 1),
            _ => throw new ArgumentOutOfRangeException(nameof(space), space),
        };
    }

    private static byte[] GrayOf(byte[] bgr)
    {
        var gray = new byte[bgr.Length / 3];
        for (int i = 0; i < gray.Length; i++)
            gray[i] = Microsoft.ML.DeepExtensions.Vision.Haar.GrayConversion.Gray(bgr[3 * i], bgr[3 * i + 1], bgr[3 * i + 2]);
        return gray;
    }

    private static (byte[], int, int) DecodeImage(JsonElement entry)
    {
        var png = Convert.FromBase64String(entry.GetProperty("png").GetString()!);
        using var image = Microsoft.ML.Data.MLImage.CreateFromStream(new MemoryStream(png));
        int width = entry.GetProperty("width").GetInt32(), height = entry.GetProperty("height").GetInt32();
        Assert.AreEqual(width, image.Width);
        Assert.AreEqual(height, image.Height);
        return (ProposalImage.ToBgr(image, "image"), width, height);
    }
}
