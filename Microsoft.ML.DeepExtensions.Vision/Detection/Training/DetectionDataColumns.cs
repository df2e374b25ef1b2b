using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// The three columns of ML.NET's object-detection convention, bound to a schema and checked: an image column
/// (<see cref="MLImage"/>), a label column (a vector of keys, one per object) and a box column (a vector of
/// Single, x0 y0 x1 y1 per object in the image's pixels).
/// </summary>
internal sealed class DetectionDataColumns
{
    private DetectionDataColumns(string image, string label, string box, int classCount, IReadOnlyList<string> classNames)
    {
        Image = image;
        Label = label;
        Box = box;
        ClassCount = classCount;
        ClassNames = classNames;
    }

    public string Image { get; }

    public string Label { get; }

    public string Box { get; }

    /// <summary>Classes the label's key type counts.</summary>
    public int ClassCount { get; }

    /// <summary>The label's <c>KeyValues</c>, or "0", "1", ... when it has none.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Checks the columns' types in ML.NET's "Schema mismatch" wording; <paramref name="role"/> names the data ("training").</summary>
    public static DetectionDataColumns Bind(DataViewSchema schema, string imageColumn, string labelColumn, string boxColumn, string role)
    {
        var image = Find(schema, imageColumn, "Image", role);
        if (image.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(imageColumn, $"Schema mismatch for image column '{imageColumn}' of the {role} data: expected an image (MLImage, from LoadImages), got {image.Type}.");
        var label = Find(schema, labelColumn, "Label", role);
        if (label.Type is not VectorDataViewType { ItemType: KeyDataViewType key } || key.Count is 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(labelColumn, $"Schema mismatch for label column '{labelColumn}' of the {role} data: expected a vector of keys, one per object (MapValueToKey on a vector of class names), got {label.Type}.");
        var box = Find(schema, boxColumn, "Box", role);
        if (box.Type is not VectorDataViewType { ItemType: var boxItem } || boxItem != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(boxColumn, $"Schema mismatch for box column '{boxColumn}' of the {role} data: expected a vector of Single, x0 y0 x1 y1 per object, got {box.Type}.");
        int classes = (int)key.Count;
        var names = KeyValues.FromColumn(label, classes).Display;
        return new DetectionDataColumns(imageColumn, labelColumn, boxColumn, classes, names);
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string what, string role) =>
        schema.GetColumnOrNull(name)
        ?? throw new ArgumentOutOfRangeException(name, $"{what} column '{name}' not found in the {role} data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
}
