using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation.Models;
using Microsoft.ML.DeepExtensions.Vision.Segmentation;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Segmentation;

/// <summary>
/// The semantic segmentation transform against torchvision's own models and post-processing (generate_semantic_models.py:
/// FCN, DeepLabV3 and LRASPP on tiny random backbones, the PyTorch forward, logits resized to the photo, argmax).
/// </summary>
[TestClass]
public sealed class SemanticSegmenterTests
{
    /// <summary>At least this share of pixels must get torchvision's class.</summary>
    private const double RequiredAgreement = 0.999;

    private static SemanticSegmenter.Options OptionsFor(string kind) => new()
    {
        ModelPath = ExpectedClassMaps.ModelFile(kind),
        Kind = kind switch { "fcn" => SemanticSegmentationKind.Fcn, "lraspp" => SemanticSegmentationKind.Lraspp, _ => SemanticSegmentationKind.DeepLabV3 },
        ClassNamesFile = ExpectedClassMaps.PathOf("semantic_classes.txt"),
        Device = ComputeDevice.Cpu,
    };

    [TestMethod]
    [DataRow("fcn")]
    [DataRow("deeplabv3")]
    [DataRow("lraspp")]
    public void ClassMapsMatchTorchvision(string kind)
    {
        var ml = new MLContext(seed: 1);
        var images = ExpectedClassMaps.Images(kind);
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        var options = OptionsFor(kind);
        options.ProbabilitiesColumnName = "Probabilities";
        using var segmenter = ml.Transforms.SegmentImages(options).Fit(data);
        var scored = segmenter.Transform(data);
        var keyType = (KeyDataViewType)((VectorDataViewType)scored.Schema["PredictedClassMap"].Type).ItemType;
        Assert.AreEqual((ulong)ExpectedClassMaps.ClassNames.Count, keyType.Count);
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getMap = cursor.GetGetter<VBuffer<uint>>(scored.Schema["PredictedClassMap"]);
        var getProbabilities = cursor.GetGetter<VBuffer<float>>(scored.Schema["Probabilities"]);
        VBuffer<uint> map = default;
        VBuffer<float> probabilities = default;
        int row = 0;
        while (cursor.MoveNext())
        {
            var expected = images[row];
            getMap(ref map);
            getProbabilities(ref probabilities);
            var got = map.DenseValues().ToArray();
            Assert.AreEqual(expected.Classes.Length, got.Length, $"{kind}: the class map has the photo's {expected.Width}x{expected.Height} pixels");
            int equal = 0;
            for (int i = 0; i < got.Length; i++)
                equal += got[i] == (uint)expected.Classes[i] + 1 ? 1 : 0;
            double agreement = (double)equal / got.Length;
            Console.WriteLine($"{kind} {Path.GetFileName(expected.Path)}: {agreement:P4} of pixels equal ({got.Length - equal} differ; {expected.FragilePixels:P3} have their two best logits within 1e-3)");
            Assert.IsTrue(agreement >= RequiredAgreement, $"{kind} {Path.GetFileName(expected.Path)}: only {agreement:P4} of pixels get torchvision's class.");
            var planes = probabilities.DenseValues().ToArray();
            int classes = expected.MeanProbabilities.Length, plane = expected.Width * expected.Height;
            Assert.AreEqual(classes * plane, planes.Length);
            for (int c = 0; c < classes; c++)
                Assert.AreEqual(expected.MeanProbabilities[c], planes.AsSpan(c * plane, plane).ToArray().Average(), 2e-3, $"{kind}: mean probability of class {c}");
            row++;
        }
        Assert.AreEqual(images.Count, row);
    }

    [TestMethod]
    public void ClassMapsAlone_AreThoseOfTheFullInterpolation_AndMatchTorchvision()
    {
        // Without a probabilities column, the class map of resized logits is computed only along class borders; it must be
        // the map the full interpolation of every class gives (the probabilities path), pixel for pixel.
        var ml = new MLContext(seed: 1);
        var images = ExpectedClassMaps.Images("lraspp");
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        var full = OptionsFor("lraspp");
        full.ProbabilitiesColumnName = "Probabilities";
        using var withProbabilities = ml.Transforms.SegmentImages(full).Fit(data);
        using var mapsAlone = ml.Transforms.SegmentImages(OptionsFor("lraspp")).Fit(data);
        var expected = ReadMaps(withProbabilities.Transform(data));
        var actual = ReadMaps(mapsAlone.Transform(data));
        Assert.AreEqual(images.Count, actual.Count);
        for (int i = 0; i < images.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i], actual[i], $"{Path.GetFileName(images[i].Path)}: class map without probabilities");
            int equal = actual[i].Where((k, p) => k == (uint)images[i].Classes[p] + 1).Count();
            Assert.IsTrue(equal >= RequiredAgreement * actual[i].Length, $"{Path.GetFileName(images[i].Path)}: only {equal} of {actual[i].Length} pixels get torchvision's class");
        }
    }

    private static List<uint[]> ReadMaps(IDataView scored)
    {
        var maps = new List<uint[]>();
        using var cursor = scored.GetRowCursor(new[] { scored.Schema["PredictedClassMap"] });
        var getMap = cursor.GetGetter<VBuffer<uint>>(scored.Schema["PredictedClassMap"]);
        VBuffer<uint> map = default;
        while (cursor.MoveNext())
        {
            getMap(ref map);
            maps.Add(map.DenseValues().ToArray());
        }
        return maps;
    }

    [TestMethod]
    public void AFixedSizeModelIsGivenTheImageResizedAndAnswersAtTheImageSize()
    {
        var ml = new MLContext(seed: 1);
        using var segmenter = SemanticSegmenter.Create(ml, OptionsFor("lraspp"));
        Assert.AreEqual((256, 256), segmenter.InputSize);
        using var dynamic = SemanticSegmenter.Create(ml, OptionsFor("fcn"));
        Assert.IsNull(dynamic.InputSize);
        var image = ExpectedClassMaps.Images("lraspp")[1];
        using var mlImage = MLImage.CreateFromFile(image.Path);
        var map = segmenter.Segment(mlImage);
        Assert.AreEqual((image.Width, image.Height), (map.Width, map.Height));
        Assert.IsNull(map.Probabilities, "no probability planes unless asked for");
    }

    [TestMethod]
    public void ADetectionModelIsRefusedWithWhatItLooksLike()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("fcn");
        options.ModelPath = ExpectedDetections.ModelFile("yolov8-seg");
        options.ClassNamesFile = null;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => SemanticSegmenter.Create(ml, options));
        StringAssert.Contains(error.Message, "does not have the semantic segmentation layout");
        StringAssert.Contains(error.Message, "looks like a YOLOv8-or-later segmentation export");
        StringAssert.Contains(error.Message, "Use it as an object detector");
    }

    [TestMethod]
    public void AClassCountMismatchNamesBothCounts()
    {
        var ml = new MLContext(seed: 1);
        var options = OptionsFor("fcn");
        options.ClassNamesFile = null;
        options.ClassNames = new[] { "a", "b" };
        using var segmenter = SemanticSegmenter.Create(ml, options); // dynamic class axis: known only when it runs
        using var image = MLImage.CreateFromFile(ExpectedClassMaps.Images("fcn")[0].Path);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => segmenter.Segment(image));
        StringAssert.Contains(error.Message, "but it has 2 class names");

        options = OptionsFor("lraspp");
        options.ClassNamesFile = null;
        options.ClassNames = new[] { "a", "b" };
        var fixedError = Assert.ThrowsExactly<InvalidDataException>(() => SemanticSegmenter.Create(ml, options));
        StringAssert.Contains(fixedError.Message, "predicts 5 classes, but ClassNames has 2 names");
    }

    [TestMethod]
    public void ASavedSegmenterLoadsBackAndLabelsTheSame()
    {
        var ml = new MLContext(seed: 1).RegisterDeepExtensions();
        var images = ExpectedClassMaps.Images("deeplabv3").Take(1).ToArray();
        var data = YoloObjectDetectorTests.LoadImages(ml, images.Select(i => i.Path));
        using var stream = new MemoryStream();
        using (var segmenter = ml.Transforms.SegmentImages(OptionsFor("deeplabv3")).Fit(data))
            ml.Model.Save(segmenter, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var restored = loaded as SemanticSegmenter ?? (SemanticSegmenter)((TransformerChain<ITransformer>)loaded).Single();
        try
        {
            Assert.AreEqual(SemanticSegmentationKind.DeepLabV3, restored.Kind);
            CollectionAssert.AreEqual(ExpectedClassMaps.ClassNames.ToArray(), restored.ClassNames.ToArray());
            using var image = MLImage.CreateFromFile(images[0].Path);
            var map = restored.Segment(image).Classes.ToArray();
            int equal = map.Where((c, i) => c == images[0].Classes[i]).Count();
            Assert.IsTrue(equal >= RequiredAgreement * map.Length, $"{equal} of {map.Length} pixels equal after loading");
        }
        finally
        {
            restored.Dispose();
        }
    }

    [TestMethod]
    public void ClassKeys_AreTheClassIndicesPlusOne_AtEveryLength()
    {
        // The key column's SIMD copy: whole vectors and the scalar tail (lengths around the vector width).
        var random = new Random(3);
        foreach (int length in new[] { 0, 1, 3, 7, 8, 9, 15, 16, 17, 33, 1000 })
        {
            var classes = Enumerable.Range(0, length).Select(_ => random.Next(0, 256)).ToArray();
            var keys = new uint[length + 1];
            keys[length] = 12345;
            SegmentationRowBatch.ToKeys(classes, keys.AsSpan(0, length));
            CollectionAssert.AreEqual(classes.Select(c => (uint)c + 1).ToArray(), keys.Take(length).ToArray(), $"length {length}");
            Assert.AreEqual(12345u, keys[length], "nothing written past the map");
        }
    }
}
