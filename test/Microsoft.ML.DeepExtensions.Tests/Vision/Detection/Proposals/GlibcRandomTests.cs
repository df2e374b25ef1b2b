using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;

/// <summary>The ranking's generator against libc's <c>rand()</c> after <c>srand(seed)</c>.</summary>
[TestClass]
public sealed class GlibcRandomTests
{
    [TestMethod]
    public void SequencesEqualLibcRand()
    {
        foreach (var golden in ProposalsGolden.Section("rand").EnumerateArray())
        {
            uint seed = golden.GetProperty("seed").GetUInt32();
            var random = new GlibcRandom(seed);
            var expected = golden.GetProperty("values").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var ours = expected.Select(_ => random.Next()).ToArray();
            CollectionAssert.AreEqual(expected, ours, $"seed {seed}");
        }
    }
}
