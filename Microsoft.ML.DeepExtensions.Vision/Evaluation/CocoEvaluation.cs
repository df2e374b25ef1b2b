namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// COCO detection or segmentation metrics of a results list against COCO ground truth, as pycocotools'
/// <c>COCOeval(gt, dt, "bbox")</c> or <c>COCOeval(gt, dt, "segm")</c> computes them: every category and every image of the ground truth is
/// evaluated (images in increasing id order); detections of categories the ground truth does not list are
/// not counted.
/// </summary>
public static class CocoEvaluation
{
    /// <summary>Evaluates <paramref name="results"/> against <paramref name="groundTruth"/>.</summary>
    /// <exception cref="InvalidDataException">A detection names an image that is not in the ground truth (pycocotools refuses such results too).</exception>
    /// <param name="groundTruth">The instances file.</param>
    /// <param name="results">The detections.</param>
    /// <param name="iouType">Boxes (pycocotools' "bbox") or masks ("segm": every annotation and detection needs a
    /// segmentation of its image's size). Defaults to <see cref="CocoIouType.BoundingBox"/>.</param>
    public static DetectionMetrics Evaluate(CocoGroundTruth groundTruth, IReadOnlyList<CocoDetectionResult> results, CocoIouType iouType = CocoIouType.BoundingBox)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(results);
        var categories = groundTruth.Categories.OrderBy(c => c.Id).ToArray();
        var categoryIndex = categories.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var images = groundTruth.Images.Select(i => i.Id).Distinct().OrderBy(id => id).ToArray();
        var imageIndex = images.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var truth = images.Select(_ => new List<GroundTruthObject>()).ToArray();
        var predicted = images.Select(_ => new List<PredictedObject>()).ToArray();
        var sizeOf = groundTruth.Images.GroupBy(i => i.Id).ToDictionary(g => g.Key, g => (g.First().Height, g.First().Width));
        var sizes = images.Select(id => sizeOf[id]).ToArray();
        foreach (var a in groundTruth.Annotations)
        {
            if (!imageIndex.TryGetValue(a.ImageId, out int image))
                throw new InvalidDataException($"Annotation {a.Id} names image {a.ImageId}, which is not among the images.");
            if (!categoryIndex.TryGetValue(a.CategoryId, out int category))
                throw new InvalidDataException($"Annotation {a.Id} names category {a.CategoryId}, which is not among the categories.");
            if (iouType == CocoIouType.Segmentation && a.Segmentation is null)
                throw new InvalidDataException($"Annotation {a.Id} has no segmentation; segmentation metrics need one on every annotation.");
            truth[image].Add(new GroundTruthObject(category, new XywhBox(a.X, a.Y, a.Width, a.Height), a.Area, a.IsCrowd, a.Segmentation));
        }
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            if (!imageIndex.TryGetValue(r.ImageId, out int image))
                throw new InvalidDataException($"Detection {i} names image_id {r.ImageId}, which is not an image of the ground truth.");
            if (iouType == CocoIouType.Segmentation)
            {
                var size = sizes[image];
                if (r.Segmentation is null)
                    throw new InvalidDataException($"Detection {i} has no segmentation; segmentation metrics need an RLE mask on every detection.");
                if (size.Height > 0 && (r.Segmentation.Height != size.Height || r.Segmentation.Width != size.Width))
                    throw new InvalidDataException($"Detection {i}'s segmentation is {r.Segmentation.Height}x{r.Segmentation.Width} (height x width), but image {r.ImageId} is {size.Height}x{size.Width}.");
            }
            if (categoryIndex.TryGetValue(r.CategoryId, out int category))
                predicted[image].Add(new PredictedObject(category, new XywhBox(r.X, r.Y, r.Width, r.Height), r.Score, r.Segmentation));
        }
        var set = new EvaluationSet(categories.Select(c => c.Name).ToArray(), truth, predicted, iouType);
        return CocoEvaluator.Evaluate(set);
    }
}
