using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// Constructor checks of hyperparameters. Errors name the parameter, the value and the rule:
/// "Delta must be positive, got -1."
/// </summary>
internal static class HyperParameter
{
    /// <summary>Returns <paramref name="value"/> when greater than zero (NaN fails).</summary>
    public static T Positive<T>(T value, [CallerArgumentExpression(nameof(value))] string name = "")
        where T : INumber<T> =>
        Require(value, value > T.Zero, "must be positive", name);

    /// <summary>Returns <paramref name="value"/> when zero or more (NaN fails).</summary>
    public static T NonNegative<T>(T value, [CallerArgumentExpression(nameof(value))] string name = "")
        where T : INumber<T> =>
        Require(value, value >= T.Zero, "must be 0 or more", name);

    /// <summary>Returns <paramref name="value"/> when it is a finite number.</summary>
    public static double Finite(double value, [CallerArgumentExpression(nameof(value))] string name = "") =>
        Require(value, double.IsFinite(value), "must be a finite number", name);

    /// <summary>Returns <paramref name="value"/> when <paramref name="valid"/>, else throws "<c>Name rule, got value.</c>".</summary>
    public static T Require<T>(T value, bool valid, string rule, [CallerArgumentExpression(nameof(value))] string name = "")
        where T : IFormattable
    {
        if (valid)
            return value;
        var option = name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];
        throw new ArgumentOutOfRangeException(name, $"{option} {rule}, got {value.ToString(null, CultureInfo.InvariantCulture)}.");
    }
}
