using DeepExtensions.Cli.Output.Charts;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Data;

namespace Microsoft.ML.DeepExtensions.Tests.Cli.Charts;

[TestClass]
public sealed class ConfusionMatrixChartTests
{
    private static readonly string[] Classes = { "cat", "dog", "bird" };
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = IdxTestFiles.TempFolder();

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void CellsAreDarkByRowShareWithTrueClassesAsRows()
    {
        // Real ML.NET evaluation: 40 cats (30 right, 10 called dogs), 20 dogs (18 right, 2 called
        // birds), 5 birds (all right). Row shares: cat 0.75, dog 0.9, bird 1.0 on the diagonal.
        var matrix = Evaluate(new[] { ("cat", "cat", 30), ("cat", "dog", 10), ("dog", "dog", 18), ("dog", "bird", 2), ("bird", "bird", 5) });
        Assert.AreEqual(10d, matrix.Counts[0][1], "ML.NET's rows are the true classes");
        var plot = ConfusionMatrixChart.CreatePlot(matrix.Counts, Classes);
        var path = Path.Combine(_folder, "confusion.png");
        int side = ConfusionMatrixChart.SideFor(3);

        ChartPng.Write(path, side + 120, side, overwrite: false, plot);

        using var image = new ChartPixels(path);
        Assert.AreEqual((side + 120, side), (image.Width, image.Height));
        double[,] cells = new double[3, 3];
        for (int actual = 0; actual < 3; actual++)
            for (int predicted = 0; predicted < 3; predicted++)
                cells[actual, predicted] = CellCornerLuminance(image, plot.PlotArea, 3, actual, predicted);

        for (int i = 0; i < 3; i++)
        {
            for (int actual = 0; actual < 3; actual++)
                for (int predicted = 0; predicted < 3; predicted++)
                    if (actual != predicted)
                        Assert.IsTrue(cells[i, i] < cells[actual, predicted] - 50, $"diagonal ({i},{i}) {cells[i, i]:F0} vs ({actual},{predicted}) {cells[actual, predicted]:F0}");
        }
        // Darker with a larger share: bird (1.0) < dog (0.9) < cat (0.75); cat→dog (0.25) darker than empty cells.
        Assert.IsTrue(cells[2, 2] < cells[1, 1] && cells[1, 1] < cells[0, 0], $"{cells[2, 2]:F0} {cells[1, 1]:F0} {cells[0, 0]:F0}");
        Assert.IsTrue(cells[0, 1] < cells[1, 0] - 20, $"cat→dog {cells[0, 1]:F0}, dog→cat {cells[1, 0]:F0}");
        Assert.AreEqual(255, cells[1, 0], 1, "an empty cell stays white");
    }

    [TestMethod]
    public void TenFashionMnistClassesKeepADarkDiagonal()
    {
        var names = Microsoft.ML.DeepExtensions.Vision.Data.FashionMnist.ClassNames;
        // 80 rows per class: 60 right, the other 20 spread over two neighbouring classes.
        var counts = Enumerable.Range(0, 10).Select(i => Enumerable.Range(0, 10).Select(j =>
            j == i ? 60.0 : j == (i + 1) % 10 ? 12.0 : j == (i + 3) % 10 ? 8.0 : 0.0).ToArray()).ToArray();
        var plot = ConfusionMatrixChart.CreatePlot(counts, names);
        var path = Path.Combine(_folder, "confusion.png");
        int side = ConfusionMatrixChart.SideFor(10);

        ChartPng.Write(path, side + 120, side, overwrite: false, plot);

        using var image = new ChartPixels(path);
        Assert.AreEqual((side + 120, side), (image.Width, image.Height));
        double darkestOffDiagonal = Enumerable.Range(0, 100).Where(c => c / 10 != c % 10)
            .Min(c => CellCornerLuminance(image, plot.PlotArea, 10, c / 10, c % 10));
        double lightestDiagonal = Enumerable.Range(0, 10).Max(i => CellCornerLuminance(image, plot.PlotArea, 10, i, i));
        Assert.IsTrue(lightestDiagonal < darkestOffDiagonal - 50, $"diagonal up to {lightestDiagonal:F0}, off-diagonal from {darkestOffDiagonal:F0}");
    }

    [TestMethod]
    public void CountsAndClassNamesAreWritten()
    {
        var counts = new[] { new double[] { 7, 0 }, new double[] { 0, 9 } };
        var plot = ConfusionMatrixChart.CreatePlot(counts, new[] { "left", "right" });
        var path = Path.Combine(_folder, "confusion.png");
        ChartPng.Write(path, 600, 480, overwrite: false, plot);

        using var image = new ChartPixels(path);
        var area = plot.PlotArea;
        // The off-diagonal cell is white: dark pixels at its centre are its count's digits, none at its corner.
        var (cx, cy) = CellCenter(area, 2, 0, 1);
        Assert.IsTrue(image.DarkPixels(cx - 10, cy - 10, cx + 10, cy + 10) > 5, "count text in the cell");
        Assert.AreEqual(0, image.DarkPixels(cx - 60, cy - 60, cx - 40, cy - 40), "blank corner of the cell");
        // Class names left of the plot area (the true-class axis labels).
        Assert.IsTrue(image.DarkPixels(0, (int)area.Top, (int)area.Left - 4, (int)area.Bottom) > 50, "axis labels");
    }

    [TestMethod]
    public void WriteTakesMlNetsConfusionMatrix()
    {
        var matrix = Evaluate(new[] { ("cat", "cat", 3), ("dog", "dog", 2), ("bird", "dog", 1), ("bird", "bird", 1) });
        var path = Path.Combine(_folder, "confusion.png");

        ConfusionMatrixChart.Write(matrix, Classes, path);

        using var image = new ChartPixels(path);
        Assert.AreEqual((ConfusionMatrixChart.SideFor(3) + 120, ConfusionMatrixChart.SideFor(3)), (image.Width, image.Height));
    }

    [TestMethod]
    public void ClassNamesMustMatchTheMatrix()
    {
        var counts = new[] { new double[] { 1, 0 }, new double[] { 0, 1 } };

        var error = Assert.ThrowsExactly<ArgumentException>(() => ConfusionMatrixChart.Write(counts, Classes, Path.Combine(_folder, "x.png")));

        StringAssert.Contains(error.Message, "must be 3×3 to match the 3 class names, got 2 rows");
        Assert.IsFalse(File.Exists(Path.Combine(_folder, "x.png")));
    }

    /// <summary>Mean luminance of a patch near the top-left corner of a cell, clear of the centred count text.</summary>
    private static double CellCornerLuminance(ChartPixels image, OxyPlot.OxyRect area, int k, int row, int column)
    {
        double w = area.Width / k, h = area.Height / k;
        int x = (int)(area.Left + column * w + 0.1 * w), y = (int)(area.Top + row * h + 0.1 * h);
        return image.Luminance(x, y, x + (int)(0.2 * w), y + (int)(0.2 * h));
    }

    private static (int X, int Y) CellCenter(OxyPlot.OxyRect area, int k, int row, int column) =>
        ((int)(area.Left + (column + 0.5) * area.Width / k), (int)(area.Top + (row + 0.5) * area.Height / k));

    private static ConfusionMatrix Evaluate((string Actual, string Predicted, int Count)[] cells)
    {
        var ml = new MLContext(seed: 1);
        var rows = cells.SelectMany(c => Enumerable.Repeat(new EvaluatedRow
        {
            Actual = c.Actual,
            Predicted = c.Predicted,
            Score = Classes.Select(name => name == c.Predicted ? 0.8f : 0.1f).ToArray(),
        }, c.Count)).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Data.LoadFromEnumerable(Classes.Select(name => new ClassName { Name = name }));
        var scored = ml.Transforms.Conversion.MapValueToKey("Label", "Actual", keyData: keys)
            .Append(ml.Transforms.Conversion.MapValueToKey("PredictedLabel", "Predicted", keyData: keys))
            .Fit(data).Transform(data);
        return ml.MulticlassClassification.Evaluate(scored).ConfusionMatrix;
    }

    private sealed class EvaluatedRow
    {
        public string Actual { get; set; } = "";

        public string Predicted { get; set; } = "";

        [VectorType(3)]
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private sealed class ClassName
    {
        public string Name { get; set; } = "";
    }
}
