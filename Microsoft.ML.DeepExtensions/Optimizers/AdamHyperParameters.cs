using Microsoft.ML.DeepExtensions.Internals;

namespace Microsoft.ML.DeepExtensions.Optimizers;

/// <summary>The checks <see cref="Adam"/> and <see cref="AdamW"/> share.</summary>
internal static class AdamHyperParameters
{
    public static (double Beta1, double Beta2, double Epsilon, bool AmsGrad) Check(double beta1, double beta2, double epsilon, bool amsGrad) => (
        HyperParameter.Require(beta1, beta1 is >= 0 and < 1, "must be in [0, 1)"),
        HyperParameter.Require(beta2, beta2 is >= 0 and < 1, "must be in [0, 1)"),
        HyperParameter.NonNegative(epsilon),
        amsGrad);
}
