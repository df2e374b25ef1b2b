using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Imaging;

/// <summary>The check every image transform makes on its input column, with ML.NET's wording.</summary>
internal static class ImageColumns
{
    /// <summary>Throws unless <paramref name="schema"/> has <paramref name="name"/> as an image column (<c>LoadImages</c>, <c>ResizeImages</c>).</summary>
    public static void Check(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"Image column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
        if (column.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(name, $"Schema mismatch for image column '{name}': expected Image (from LoadImages or ResizeImages), got {column.Type}.");
    }

    /// <summary>The same check on an estimator's input shape (the last column of that name counts, as in ML.NET).</summary>
    public static void Check(SchemaShape schema, string name)
    {
        var found = schema.Where(c => c.Name == name).ToArray();
        if (found.Length == 0)
            throw new ArgumentOutOfRangeException(name, $"Image column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Select(c => c.Name))}.");
        var column = found[^1];
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(name, $"Schema mismatch for image column '{name}': expected Image (from LoadImages or ResizeImages), got {column.ItemType}.");
    }
}
