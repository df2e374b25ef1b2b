using System.Security.Cryptography;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;

/// <summary>
/// 8-bit HSV and Lab against OpenCV's <c>cvtColor</c> on every 17th of the 2^24 colours (about a million; all 2^24
/// agree, checked once with the generator's cube, but hashing them all takes too long for a unit test).
/// </summary>
[TestClass]
public sealed class ColourConversionTests
{
    private static readonly Lazy<byte[]> Colours = new(() =>
    {
        // Colour i of the generator's cube: blue varies fastest, then green, then red; every stride-th one.
        int stride = ProposalsGolden.Section("colours").GetProperty("stride").GetInt32();
        var bgr = new byte[3 * ((1 << 24) + stride - 1) / stride];
        for (int i = 0, j = 0; i < 1 << 24; i += stride, j += 3)
        {
            bgr[j] = (byte)i;
            bgr[j + 1] = (byte)(i >> 8);
            bgr[j + 2] = (byte)(i >> 16);
        }
        return bgr;
    });

    [TestMethod]
    public void HsvOfEveryColourEqualsOpenCVs()
    {
        var colours = ProposalsGolden.Section("colours");
        CheckSamples(colours, 3, b => HsvConversion.FromBgr(b));
        Assert.AreEqual(colours.GetProperty("hsv_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(HsvConversion.FromBgr(Colours.Value))));
    }

    [TestMethod]
    public void LabOfEveryColourEqualsOpenCVs()
    {
        var colours = ProposalsGolden.Section("colours");
        CheckSamples(colours, 6, b => LabConversion.FromBgr(b));
        Assert.AreEqual(colours.GetProperty("lab_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(LabConversion.FromBgr(Colours.Value))));
    }

    private static void CheckSamples(System.Text.Json.JsonElement colours, int offset, Func<byte[], byte[]> convert)
    {
        foreach (var sample in colours.GetProperty("samples").EnumerateArray())
        {
            var v = sample.EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
            var ours = convert(v[..3]);
            CollectionAssert.AreEqual(v[offset..(offset + 3)], ours, $"BGR {v[0]},{v[1]},{v[2]}");
        }
    }
}
