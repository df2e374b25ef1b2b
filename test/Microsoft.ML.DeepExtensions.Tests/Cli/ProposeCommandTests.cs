using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Tests.Cli;

/// <summary><c>deepext propose</c>: a JSON file and a drawn image per image, the library's proposals, no silent overwrite.</summary>
[TestClass]
public sealed class ProposeCommandTests
{
    private string _folder = null!;
    private string _images = null!;

    [TestInitialize]
    public void WriteImages()
    {
        _folder = Path.Combine(Path.GetTempPath(), "dx-propose-" + Guid.NewGuid().ToString("N"));
        _images = Path.Combine(_folder, "in");
        Directory.CreateDirectory(_images);
        var png = Convert.FromBase64String(ProposalsGolden.Section("images")[1].GetProperty("png").GetString()!);
        File.WriteAllBytes(Path.Combine(_images, "baboon.png"), png);
        File.WriteAllText(Path.Combine(_images, "broken.jpg"), "not an image");
    }

    [TestCleanup]
    public void DeleteImages()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [TestMethod]
    public void WritesJsonAndDrawnImageAndReportsTheUnreadableOne()
    {
        string outFolder = Path.Combine(_folder, "out");
        var result = CliRunner.Run("propose", "--image", _images, "--out", outFolder, "--max", "40", "--draw", "10");
        Assert.AreEqual(1, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "broken.jpg");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outFolder, "baboon.png.json")));
        var root = json.RootElement;
        Assert.AreEqual("fast", root.GetProperty("mode").GetString());
        var boxes = root.GetProperty("proposals").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var (bgr, width, height) = ProposalsGolden.Image(1);
        var expected = new SelectiveSearch(new SelectiveSearchOptions { MaxProposals = 40 }).Propose(bgr, width, height);
        CollectionAssert.AreEqual(expected.Select(b => $"{b.Left},{b.Top},{b.Right},{b.Bottom}").ToArray(), boxes.Select(b => string.Join(",", b)).ToArray());

        using var drawn = MLImage.CreateFromFile(Path.Combine(outFolder, "baboon.png"));
        Assert.AreEqual(width, drawn.Width);
        StringAssert.Contains(result.Stdout, "baboon.png: 40 proposals, 10 drawn");
    }

    [TestMethod]
    public void ExistingOutputNeedsForceAndBadValuesAreUsageErrors()
    {
        string outFolder = Path.Combine(_folder, "out");
        string image = Path.Combine(_images, "baboon.png");
        Assert.AreEqual(0, CliRunner.Run("propose", "--image", image, "--out", outFolder, "--max", "5").ExitCode);
        var again = CliRunner.Run("propose", "--image", image, "--out", outFolder, "--max", "5");
        Assert.AreEqual(2, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Stderr, "already exists (pass --force to overwrite it)");
        Assert.AreEqual(0, CliRunner.Run("propose", "--image", image, "--out", outFolder, "--max", "5", "--force").ExitCode);

        var mode = CliRunner.Run("propose", "--image", image, "--out", outFolder, "--mode", "best");
        Assert.AreEqual(2, mode.ExitCode);
        StringAssert.Contains(mode.Stderr, "--mode must be fast, quality or single, got 'best'");
        var max = CliRunner.Run("propose", "--image", image, "--out", outFolder, "--max", "-3");
        Assert.AreEqual(2, max.ExitCode);
        StringAssert.Contains(max.Stderr, "--max must be zero or a positive integer, got '-3'");
    }
}
