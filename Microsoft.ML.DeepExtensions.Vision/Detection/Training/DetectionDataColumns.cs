using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Data.Detection;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// The three columns of ML.NET's object-detection convention, bound to a schema and checked: an image column
/// (<see cref="MLImage"/>), a label column (a vector of keys, one per object) and a box column (a vector of
/// Single, x0 y0 x1 y1 per object in the image's pixels), and for detectors that learn masks (Mask R-CNN) a fourth:
/// every object's outline in the encoding of <see cref="SegmentationColumn"/> (the COCO loader's <c>Segmentation</c>).
/// </summary>
internal sealed class DetectionDataColumns
{
    private DetectionDataColumns(string image, string label, string box, string? masks, bool outlinesRequired, int classCount, IReadOnlyList<string> classNames)
    {
        Masks = masks;
        OutlinesRequired = outlinesRequired;
        Image = image;
        Label = label;
        Box = box;
        ClassCount = classCount;
        ClassNames = classNames;
    }

    public string Image { get; }

    public string Label { get; }

    public string Box { get; }

    /// <summary>The objects' outlines (<see cref="SegmentationColumn"/>'s encoding), or null when the detector learns no masks.</summary>
    public string? Masks { get; }

    /// <summary>
    /// Whether every object must have an outline in <see cref="Masks"/> (a detector that learns masks); when false the
    /// masks only serve augmentation (copy-paste), and an object without an outline is its box.
    /// </summary>
    public bool OutlinesRequired { get; }

    /// <summary>Classes the label's key type counts.</summary>
    public int ClassCount { get; }

    /// <summary>The label's <c>KeyValues</c>, or "1", "2", ... when it has none.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Checks the columns' types (<see cref="DetectionColumnsCheck"/>) in ML.NET's "Schema mismatch" wording; <paramref name="role"/> names the data ("training").</summary>
    /// <param name="schema">The data's schema.</param>
    /// <param name="imageColumn">The image column's name.</param>
    /// <param name="labelColumn">The label column's name (a vector of keys).</param>
    /// <param name="boxColumn">The box column's name (x0 y0 x1 y1 per object).</param>
    /// <param name="role">The data's role in messages ("training", "validation").</param>
    /// <param name="maskColumn">The outlines column for a detector that learns masks; null (the default) for none.</param>
    /// <param name="augmentationMaskColumn">
    /// An outlines column that only augmentation uses (copy-paste), when <paramref name="maskColumn"/> is null: bound when the
    /// data has it with the right type, else left out (no error: augmentation then does without).
    /// </param>
    public static DetectionDataColumns Bind(DataViewSchema schema, string imageColumn, string labelColumn, string boxColumn, string role,
        string? maskColumn = null, string? augmentationMaskColumn = null)
    {
        var image = Find(schema, imageColumn, "Image", role);
        if (image.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(imageColumn, $"Schema mismatch for image column '{imageColumn}' of the {role} data: expected an image (MLImage, from LoadImages), got {image.Type}.");
        IReadOnlyList<string> names;
        try
        {
            names = DetectionColumnsCheck.CheckSchema(schema, labelColumn, boxColumn);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentOutOfRangeException(ex.ParamName, $"The {role} data: {ex.Message}");
        }
        if (maskColumn is not null)
        {
            var masks = schema.GetColumnOrNull(maskColumn)
                ?? throw new ArgumentOutOfRangeException(maskColumn,
                    $"Mask column '{maskColumn}' not found in the {role} data: a detector that learns masks needs every object's outline (the COCO loader's '{DetectionDataView.SegmentationColumnName}' column, from annotations with 'segmentation'). Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
            if (masks.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Single)
                throw new ArgumentOutOfRangeException(maskColumn, $"Schema mismatch for mask column '{maskColumn}' of the {role} data: expected a vector of Single (polygons or run lengths, as the COCO loader's '{DetectionDataView.SegmentationColumnName}'), got {masks.Type}.");
        }
        int classes = names.Count;
        if (maskColumn is null && augmentationMaskColumn is not null
            && schema.GetColumnOrNull(augmentationMaskColumn) is { Type: VectorDataViewType { ItemType: var outlineItem } }
            && outlineItem == NumberDataViewType.Single)
            return new DetectionDataColumns(imageColumn, labelColumn, boxColumn, augmentationMaskColumn, outlinesRequired: false, classes, names);
        return new DetectionDataColumns(imageColumn, labelColumn, boxColumn, maskColumn, outlinesRequired: maskColumn is not null, classes, names);
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string what, string role) =>
        schema.GetColumnOrNull(name)
        ?? throw new ArgumentOutOfRangeException(name, $"{what} column '{name}' not found in the {role} data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
}
