using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;

/// <summary>Argument checks shared by the box toolkit, with messages naming the argument and its shape.</summary>
internal static class BoxChecks
{
    /// <summary>Throws unless <paramref name="boxes"/> is a floating-point <c>[..., 4]</c> tensor.</summary>
    public static void CheckBoxes(Tensor boxes, string name)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        if (boxes.dim() < 1 || boxes.shape[^1] != 4)
            throw new ArgumentException($"{name} must have shape [..., 4], got [{string.Join(", ", boxes.shape)}].", name);
        if (!boxes.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {boxes.dtype}.", name);
    }

    /// <summary>Throws unless <paramref name="boxes"/> is a floating-point <c>[N, 4]</c> tensor.</summary>
    public static void CheckBoxList(Tensor boxes, string name)
    {
        CheckBoxes(boxes, name);
        if (boxes.dim() != 2)
            throw new ArgumentException($"{name} must have shape [N, 4], got [{string.Join(", ", boxes.shape)}].", name);
    }

    /// <summary>Throws unless <paramref name="values"/> is a 1-D tensor of <paramref name="count"/> values.</summary>
    public static void CheckPerBox(Tensor values, long count, string name, string boxesName)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.dim() != 1 || values.shape[0] != count)
            throw new ArgumentException($"{name} must have shape [{count}] (one value per box of {boxesName}), got [{string.Join(", ", values.shape)}].", name);
    }
}
