using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share: the decays of the two moment averages,
/// the denominator's ε and the AMSGrad switch. They differ only in how weight decay is applied.
/// </summary>
public abstract class AdamBase : Optimizer
{
    private protected AdamBase(double learningRate, double beta1, double beta2, double epsilon, bool amsGrad, double weightDecay)
        : base(learningRate, weightDecay)
    {
        Beta1 = HyperParameter.Require(beta1, beta1 is >= 0 and < 1, "must be in [0, 1)");
        Beta2 = HyperParameter.Require(beta2, beta2 is >= 0 and < 1, "must be in [0, 1)");
        Epsilon = HyperParameter.NonNegative(epsilon);
        AmsGrad = amsGrad;
    }

    /// <summary>The decay β₁ of the gradient average.</summary>
    public double Beta1 { get; }

    /// <summary>The decay β₂ of the squared-gradient average.</summary>
    public double Beta2 { get; }

    /// <summary>The term ε added to the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the AMSGrad variant (the running maximum of v) is used.</summary>
    public bool AmsGrad { get; }
}
