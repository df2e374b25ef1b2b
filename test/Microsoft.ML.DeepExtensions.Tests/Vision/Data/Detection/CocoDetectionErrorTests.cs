using Microsoft.ML.DeepExtensions.Vision.Data.Detection;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Data.Detection;

/// <summary>Every bad COCO input is refused with the file, the annotation or image id, and the rule.</summary>
[TestClass]
public sealed class CocoDetectionErrorTests
{
    private DetectionTestFolder _folder = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = new DetectionTestFolder();
        _folder.Image("a.png", 40, 30);
    }

    [TestCleanup]
    public void DeleteFolder() => _folder.Dispose();

    private string Json(string annotation, string image = """{"id": 1, "file_name": "a.png", "width": 40, "height": 30}""") =>
        _folder.Text("instances.json", $$"""{"images": [{{image}}], "categories": [{"id": 1, "name": "cat"}], "annotations": [{{annotation}}]}""");

    private void Refused<T>(string json, string message) where T : Exception
    {
        var error = Assert.ThrowsExactly<T>(() => DetectionDataset.ReadCoco(json));
        StringAssert.Contains(error.Message, $"'{json}'");
        StringAssert.Contains(error.Message, message);
    }

    [TestMethod]
    public void BoxesOutsideTheImageOrWithoutSizeAreRefused()
    {
        Refused<InvalidDataException>(Json("""{"id": 12, "image_id": 1, "category_id": 1, "bbox": [35, 5, 7, 5]}"""),
            "annotation id 12 (image id 1): box (35, 5, 42, 10) lies outside the 40x30 image by more than 1 pixel (boxes are clipped only within that tolerance).");
        Refused<InvalidDataException>(Json("""{"id": 13, "image_id": 1, "category_id": 1, "bbox": [5, 5, 0, 5]}"""),
            "annotation id 13 (image id 1): box (5, 5, 5, 10) has a non-positive size 0x5");
        Refused<InvalidDataException>(Json("""{"id": 14, "image_id": 1, "category_id": 1, "bbox": [5, 5, -1, 5]}"""),
            "annotations[0] (id 14).bbox has a negative size -1x5.");
    }

    [TestMethod]
    public void UnknownCategoryAndImageAreRefused()
    {
        Refused<InvalidDataException>(Json("""{"id": 21, "image_id": 1, "category_id": 4, "bbox": [1, 1, 2, 2]}"""),
            "annotations[0] (id 21): category_id 4 is not among the categories (1).");
        Refused<InvalidDataException>(Json("""{"id": 22, "image_id": 3, "category_id": 1, "bbox": [1, 1, 2, 2]}"""),
            "annotations[0] (id 22): image_id 3 is not among the images.");
    }

    [TestMethod]
    public void MissingUndecodableOrResizedImagesAreRefused()
    {
        _folder.Image("b.png", 40, 30);
        Refused<FileNotFoundException>(Json("", """{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "gone.png"}"""),
            $"image id 2: image file '{_folder.PathOf("gone.png")}' not found.");
        Refused<FileNotFoundException>(Json("", """{"id": 5, "file_name": "gone.png"}"""),
            $"image id 5's file 'gone.png' is in none of '{_folder.Root}', '{_folder.PathOf("images")}'; name the image folder.");
        _folder.Text("broken.jpg", "not a JPEG");
        Refused<InvalidDataException>(Json("", """{"id": 1, "file_name": "a.png"}, {"id": 6, "file_name": "broken.jpg"}"""),
            $"image id 6: image file '{_folder.PathOf("broken.jpg")}' cannot be decoded");
        Refused<InvalidDataException>(Json("", """{"id": 7, "file_name": "a.png", "width": 30, "height": 40}"""),
            $"image id 7 says 30x40, but image file '{_folder.PathOf("a.png")}' is 40x30");
        Refused<InvalidDataException>(Json("", """{"id": 8, "width": 30, "height": 40}"""), "image id 8 has no file_name.");
    }

    [TestMethod]
    public void MalformedJsonAndSegmentationsAreRefused()
    {
        Refused<InvalidDataException>(_folder.Text("instances.json", """{"images": [}"""), "is not valid JSON: '}' is an invalid start of a value. LineNumber: 0");
        Refused<InvalidDataException>(_folder.Text("instances.json", """{"images": [], "categories": []}"""), "'annotations' must be an array.");
        Refused<InvalidDataException>(Json("""{"id": 31, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": [[1, 1, 3, 1, 3]]}"""),
            "annotations[0] (id 31).segmentation[0] must hold x, y pairs of at least 3 points, got 5 numbers.");
        Refused<InvalidDataException>(Json("""{"id": 32, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": {"counts": [5, 5], "size": [30, 40]}}"""),
            "annotations[0] (id 32).segmentation: Run lengths must add up to height x width = 30 x 40 = 1200 pixels, got 10.");
        Refused<InvalidDataException>(Json("""{"id": 36, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": {"counts": [1201, -1], "size": [30, 40]}}"""),
            "annotations[0] (id 36).segmentation.counts must be a compressed string or a list of run lengths.");
        Refused<InvalidDataException>(Json("""{"id": 33, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": {"counts": [1200], "size": [40, 30]}}"""),
            "annotations[0] (id 33).segmentation.size is [40, 30], but image 1 is 30 high and 40 wide");
        Refused<InvalidDataException>(Json("""{"id": 34, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": {"counts": "a b", "size": [30, 40]}}"""),
            "annotations[0] (id 34).segmentation");
        Refused<InvalidDataException>(Json("""{"id": 35, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "segmentation": "polygon"}"""),
            "annotation id 35 (image id 1): segmentation must be a list of polygons or a run-length object");
    }

    [TestMethod]
    public void ImageFolderCanBeNamedAndCocoLayoutIsFound()
    {
        _folder.Image("pictures/p.png", 40, 30);
        var json = _folder.Text("instances.json", """{"images": [{"id": 1, "file_name": "p.png"}], "categories": [{"id": 1, "name": "cat"}], "annotations": []}""");
        Assert.AreEqual(_folder.PathOf("pictures/p.png"), DetectionDataset.ReadCoco(json, _folder.PathOf("pictures")).Images[0].Path);
        var missing = Assert.ThrowsExactly<DirectoryNotFoundException>(() => DetectionDataset.ReadCoco(json, _folder.PathOf("nowhere")));
        StringAssert.Contains(missing.Message, $"Image folder '{_folder.PathOf("nowhere")}' (for '{json}') not found.");

        // COCO's own layout: annotations/instances_<split>.json with the images above it, found from the folder too.
        _folder.Image("coco/images/val/v.png", 40, 30);
        var val = _folder.Text("coco/annotations/instances_val.json", """{"images": [{"id": 1, "file_name": "val/v.png"}], "categories": [{"id": 1, "name": "cat"}], "annotations": []}""");
        Assert.AreEqual(_folder.PathOf("coco/images/val/v.png"), DetectionDataset.ReadCoco(val).Images[0].Path);
        Assert.AreEqual(_folder.PathOf("coco/images/val/v.png"), DetectionDataset.Read(_folder.PathOf("coco"), "val").Images[0].Path);
    }

    [TestMethod]
    public void UnrecognisedPathsAreNamed()
    {
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => DetectionDataset.Read(_folder.PathOf("none")));
        StringAssert.Contains(missing.Message, $"Detection data '{_folder.PathOf("none")}' not found.");
        var folder = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.Read(_folder.Root, "val"));
        StringAssert.Contains(folder.Message, "it has no data.yaml (YOLO), no Annotations/ folder (Pascal VOC) and no annotations/instances_val.json (COCO).");
        var file = Assert.ThrowsExactly<InvalidDataException>(() => DetectionDataset.Read(_folder.PathOf("a.png")));
        StringAssert.Contains(file.Message, "is not a detection data set: expected a COCO instances .json file, a YOLO data.yaml, or a Pascal VOC folder.");
    }
}
