using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Persistence;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Proposals;

/// <summary>Selective search as an ML.NET transform: MLImage in, proposal boxes out, PredictionEngine, model.zip.</summary>
[TestClass]
public sealed class SelectiveSearchTransformerTests
{
    private static string _directory = null!;

    [ClassInitialize]
    public static void WritePhotos(TestContext _)
    {
        _directory = Path.Combine(Path.GetTempPath(), "dx-proposals-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        for (int i = 0; i < 2; i++)
        {
            var png = Convert.FromBase64String(ProposalsGolden.Section("images")[i].GetProperty("png").GetString()!);
            File.WriteAllBytes(Path.Combine(_directory, $"photo{i}.png"), png);
        }
        File.WriteAllText(Path.Combine(_directory, "broken.png"), "not an image");
    }

    [ClassCleanup]
    public static void DeletePhotos()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class ProposalRow
    {
        public float[] Proposals { get; set; } = Array.Empty<float>();
    }

    private sealed class InMemoryImage
    {
        [ImageType(120, 112)]
        public MLImage? Image { get; set; }
    }

    private static IDataView Paths(MLContext ml, params string[] names) =>
        ml.Data.LoadFromEnumerable(names.Select(n => new PathRow { ImagePath = n }).ToArray());

    private static IEstimator<ITransformer> Pipeline(MLContext ml, int maxProposals = 50) =>
        ml.Transforms.LoadImages("Image", _directory, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ProposeRegions(maxProposals: maxProposals));

    private static float[][] Score(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<ProposalRow>(model.Transform(data), reuseRowObject: false).Select(r => r.Proposals).ToArray();

    [TestMethod]
    public void TransformGivesTheSearchsBoxesAsCorners()
    {
        var ml = new MLContext(seed: 1);
        var data = Paths(ml, "photo0.png", "photo1.png");
        var rows = Score(ml, Pipeline(ml).Fit(data), data);
        Assert.AreEqual(2, rows.Length);
        for (int i = 0; i < 2; i++)
        {
            var (bgr, width, height) = ProposalsGolden.Image(i);
            var boxes = new SelectiveSearch(new SelectiveSearchOptions { MaxProposals = 50 }).Propose(bgr, width, height);
            Assert.AreEqual(50, boxes.Length);
            var expected = boxes.SelectMany(b => new float[] { b.X, b.Y, b.X + b.Width, b.Y + b.Height }).ToArray();
            CollectionAssert.AreEqual(expected, rows[i], $"photo {i}");
        }
    }

    [TestMethod]
    public void UnreadableImageGetsNoProposalsAndAWarning()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) warnings.Add(e.Message); };
        var data = Paths(ml, "broken.png", "photo1.png");
        var rows = Score(ml, Pipeline(ml, maxProposals: 5).Fit(data), data);
        Assert.AreEqual(0, rows[0].Length);
        Assert.AreEqual(20, rows[1].Length);
        Assert.IsTrue(warnings.Any(w => w.Contains("Row 0") && w.Contains("no proposals")), string.Join("\n", warnings));
    }

    [TestMethod]
    public void PredictionEngineGivesTheSameProposalsAsTransform()
    {
        var ml = new MLContext(seed: 1);
        using var image = ProposalsGolden.MLImage(0);
        var data = ml.Data.LoadFromEnumerable(new[] { new InMemoryImage { Image = image } });
        var model = ml.Transforms.ProposeRegions(maxProposals: 30).Fit(data);
        var batch = ml.Data.CreateEnumerable<ProposalRow>(model.Transform(data), reuseRowObject: false).Single();
        using var engine = ml.Model.CreatePredictionEngine<InMemoryImage, ProposalRow>(model);
        CollectionAssert.AreEqual(batch.Proposals, engine.Predict(new InMemoryImage { Image = image }).Proposals);
        Assert.AreEqual(120, batch.Proposals.Length);
    }

    /// <summary>The proposals of photo1.png as text lines (also run by the fresh child process).</summary>
    internal static string[] ScoreLines(MLContext ml, ITransformer model) =>
        Score(ml, model, Paths(ml, "photo1.png")).Select(row => string.Join(",", row)).ToArray();

    [TestMethod]
    public void ModelZipKeepsTheSettingsInThisAndInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = Paths(ml, "photo1.png");
        var model = ml.Transforms.LoadImages("Image", _directory, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options
            {
                OutputColumnName = "Proposals",
                Mode = SelectiveSearchMode.Single,
                MaxProposals = 7,
                Seed = 5,
            })).Fit(data);
        string zip = Path.Combine(_directory, "proposals-model.zip");
        ml.Model.Save(model, data.Schema, zip);
        var expected = Score(ml, model, data);
        var reloaded = new MLContext(seed: 2).RegisterDeepExtensions().Model.Load(zip, out _);
        var again = Score(ml, reloaded, data);
        Assert.AreEqual(28, expected[0].Length);
        CollectionAssert.AreEqual(expected[0], again[0]);
        var transformer = ((TransformerChain<ITransformer>)reloaded).OfType<SelectiveSearchTransformer>().Single();
        Assert.AreEqual(SelectiveSearchMode.Single, transformer.SearchOptions.Mode);
        Assert.AreEqual(5u, transformer.SearchOptions.Seed);

        var child = FreshProcessLoader.Run(zip, register: true, scenario: "proposals");
        Assert.AreEqual(0, child.ExitCode, string.Join('\n', child.Lines) + child.StandardError);
        CollectionAssert.AreEqual(ScoreLines(ml, model), child.Lines.Skip(1).ToArray());
    }

    [TestMethod]
    public void BadOptionsAndColumnsAreRefusedNamingThem()
    {
        var ml = new MLContext(seed: 1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions(maxProposals: -1)).Message, "MaxProposals");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options { BaseK = 0 })).Message, "BaseK");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options { Sigma = float.NaN })).Message, "Sigma");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options { Mode = (SelectiveSearchMode)7 })).Message, "Mode");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options { BatchSize = 0 })).Message, "BatchSize");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ProposeRegions(new SelectiveSearchTransformer.Options { OutputColumnName = " " })).Message, "OutputColumnName");
        var data = Paths(ml, "photo0.png");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions().Fit(data)).Message, "Image column 'Image' not found");
        var text = ml.Transforms.CopyColumns("Image", nameof(PathRow.ImagePath)).Fit(data).Transform(data);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ProposeRegions().Fit(text)).Message, "Schema mismatch for image column 'Image'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new SelectiveSearch().Propose(Array.Empty<byte>(), 0, 3)).Message, "empty");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new SelectiveSearch().Propose(new byte[5], 2, 1)).Message, "has 6 bytes, got 5");
    }

    [TestMethod]
    public void TinyImagesGetTheirWholeImageAsAProposal()
    {
        var one = new SelectiveSearch().Propose(new byte[] { 10, 20, 30 }, 1, 1);
        CollectionAssert.AreEqual(new[] { new System.Drawing.Rectangle(0, 0, 1, 1) }, one);
        var small = new SelectiveSearch(new SelectiveSearchOptions { Mode = SelectiveSearchMode.Quality }).Propose(new byte[3 * 3 * 2], 3, 2);
        CollectionAssert.AreEqual(new[] { new System.Drawing.Rectangle(0, 0, 3, 2) }, small);
    }
}
