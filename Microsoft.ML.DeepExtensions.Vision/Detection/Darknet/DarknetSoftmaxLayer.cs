using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// <c>[softmax]</c>: softmax of <c>x / temperature</c> over the flattened input, separately in each of <c>groups</c>
/// equal consecutive parts (defaults: 1 group, temperature 1).
/// </summary>
public sealed class DarknetSoftmaxLayer : DarknetLayer
{
    internal DarknetSoftmaxLayer(int index, DarknetSection section, DarknetShape input)
        : base("DarknetSoftmax", index, section, input)
    {
        Groups = section.GetInt("groups", 1);
        Temperature = section.GetFloat("temperature", 1f);
        if (Groups < 1 || input.Size % Groups != 0)
            throw section.Error("groups", $"'groups={Groups}' must divide the layer's {input.Size} inputs.");
        if (!(Temperature > 0))
            throw section.Error("temperature", $"'temperature' must be positive, got {Temperature}.");
        if (section.GetFloat("spatial", 0) != 0)
            throw section.Error("spatial", "'spatial' softmax is not supported.");
    }

    /// <summary>Number of groups normalized separately.</summary>
    public int Groups { get; }

    /// <summary>The temperature the inputs are divided by.</summary>
    public float Temperature { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, IReadOnlyList<Tensor?> outputs)
    {
        using var scope = NewDisposeScope();
        var grouped = input.reshape(input.shape[0], Groups, -1);
        if (Temperature != 1f)
            grouped = grouped.div(Temperature);
        return grouped.softmax(-1).view(input.shape).MoveToOuterDisposeScope();
    }
}
