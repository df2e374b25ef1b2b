using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// Darknet's activation functions (<c>activations.h</c>), by the name a cfg gives them in <c>activation=</c>,
/// with Darknet's constants: <c>leaky</c> is <c>x &gt; 0 ? x : 0.1x</c>, <c>relie</c> uses 0.01, <c>ramp</c> is
/// <c>relu(x) + 0.1x</c>, <c>selu</c> uses 1.0507 and 1.6732, <c>loggy</c> is <c>2σ(x) - 1</c>. <c>mish</c> and
/// <c>swish</c> come from AlexeyAB's fork. Darknet silently uses ReLU for a name it does not know; here it is an error.
/// </summary>
internal static class DarknetActivation
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Functions = new(StringComparer.Ordinal)
    {
        ["linear"] = x => x.alias(),
        ["leaky"] = x => nn.functional.leaky_relu(x, 0.1),
        ["relu"] = x => nn.functional.relu(x),
        ["logistic"] = x => x.sigmoid(),
        ["loggy"] = x => x.sigmoid().mul(2).sub(1),
        ["tanh"] = x => x.tanh(),
        ["elu"] = x => nn.functional.elu(x, 1.0),
        ["selu"] = x => torch.where(x.ge(0), x.mul(1.0507f), x.exp().sub(1).mul(1.0507f * 1.6732f)),
        ["relie"] = x => nn.functional.leaky_relu(x, 0.01),
        ["ramp"] = x => nn.functional.relu(x).add(x.mul(0.1f)),
        ["hardtan"] = x => x.clamp(-1, 1),
        ["lhtan"] = x => torch.where(x.lt(0), x.mul(0.001f), torch.where(x.gt(1), x.sub(1).mul(0.001f).add(1), x)),
        ["plse"] = x => torch.where(x.lt(-4), x.add(4).mul(0.01f), torch.where(x.gt(4), x.sub(4).mul(0.01f).add(1), x.mul(0.125f).add(0.5f))),
        ["mish"] = x => x.mul(nn.functional.softplus(x).tanh()),
        ["swish"] = x => x.mul(x.sigmoid()),
    };

    /// <summary>The activation function named <c>activation=</c> in <paramref name="section"/>, or <paramref name="defaultName"/> when unset.</summary>
    /// <exception cref="DarknetFormatException">The name is not one of Darknet's activations.</exception>
    public static (string Name, Func<Tensor, Tensor> Function) Read(DarknetSection section, string defaultName)
    {
        string name = section.Get("activation") ?? defaultName;
        if (!Functions.TryGetValue(name, out var function))
        {
            throw section.Error("activation",
                $"unknown activation '{name}'; supported: {string.Join(", ", Functions.Keys.Order(StringComparer.Ordinal))}.");
        }

        return (name, function);
    }
}
