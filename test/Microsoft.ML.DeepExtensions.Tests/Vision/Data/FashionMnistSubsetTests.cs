using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Vision.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data;

/// <summary>Checks the committed sample subset (samples/data/fashion-mnist-subset, made by make_fashion_mnist_subset.py).</summary>
[TestClass]
public sealed class FashionMnistSubsetTests
{
    [TestMethod]
    public void SubsetIsBalancedRealFashionMnist()
    {
        var folder = CliRunner.Sample("fashion-mnist-subset");
        Assert.IsTrue(IdxFolder.IsIdxFolder(folder), folder);

        var data = new MLContext().Data.LoadIdxFolder(folder, FashionMnist.ClassNames);
        var train = IdxLoaderTests.Read(data.TrainSet);
        var test = IdxLoaderTests.Read(data.TestSet);

        Assert.AreEqual(2500, train.Count);
        Assert.AreEqual(800, test.Count);
        foreach (var (rows, perClass) in new[] { (train, 250), (test, 80) })
        {
            var counts = rows.GroupBy(r => r.Label).ToDictionary(g => g.Key, g => g.Count());
            CollectionAssert.AreEquivalent(FashionMnist.ClassNames.ToArray(), counts.Keys.ToArray());
            Assert.IsTrue(counts.Values.All(c => c == perClass), string.Join(", ", counts));
            // The file keeps the source's order, so classes are interleaved, not in blocks.
            Assert.IsTrue(rows.Take(50).Select(r => r.Label).Distinct().Count() >= 5);
        }

        Assert.IsTrue(ImageShapeAnnotation.TryRead(data.TrainSet.Schema["Features"], out int channels, out int height, out int width));
        Assert.AreEqual((1, 28, 28), (channels, height, width));
        var pixels = train.SelectMany(r => r.Features).ToArray();
        Assert.AreEqual(0f, pixels.Min());
        Assert.AreEqual(1f, pixels.Max());
        // Fashion-MNIST's mean pixel is 0.286 (0.2860 over the 60,000 training images); a misaligned
        // or wrongly scaled read lands far from it.
        Assert.AreEqual(0.286, pixels.Average(p => (double)p), 0.02);
        // Labels belong to their images: trousers are tall and narrow (their outer columns are
        // almost empty, the middle ones bright), and sandals, mostly straps, are far darker than pullovers.
        var trousers = train.Where(r => r.Label == "Trouser").ToList();
        double middle = trousers.Average(r => ColumnsMean(r.Features, 8, 20));
        double edge = trousers.Average(r => ColumnsMean(r.Features, 0, 4));
        Assert.IsTrue(middle > 10 * edge + 0.2, $"trouser middle columns {middle:F3}, edge columns {edge:F3}");
        double sandal = train.Where(r => r.Label == "Sandal").Average(r => r.Features.Average());
        double pullover = train.Where(r => r.Label == "Pullover").Average(r => r.Features.Average());
        Assert.IsTrue(sandal < pullover / 2, $"sandal mean {sandal:F3}, pullover mean {pullover:F3}");
    }

    /// <summary>Mean of the columns [from, to) of a 28×28 image.</summary>
    private static double ColumnsMean(float[] image, int from, int to) =>
        Enumerable.Range(0, 28 * 28).Where(i => i % 28 >= from && i % 28 < to).Average(i => image[i]);
}
