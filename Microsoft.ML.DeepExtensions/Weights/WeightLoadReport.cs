namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>A tensor of the file whose shape is not the network's.</summary>
/// <param name="Name">The tensor's name in the file.</param>
/// <param name="FileShape">Its shape in the file.</param>
/// <param name="NetworkShape">The shape the network needs.</param>
public sealed record ShapeMismatch(string Name, long[] FileShape, long[] NetworkShape)
{
    public override string ToString() => $"{Name}: [{string.Join(", ", FileShape)}] in the file, [{string.Join(", ", NetworkShape)}] in the network";
}

/// <summary>What loading a state dictionary into a network did, tensor by tensor (names as in the file).</summary>
/// <param name="Loaded">Tensors copied into the network.</param>
/// <param name="Missing">Tensors the network has and the file lacks (they keep their fresh values).</param>
/// <param name="Unexpected">Tensors of the file the network has no place for (ignored).</param>
/// <param name="Mismatched">Tensors whose shapes differ (refused, unless they belong to the classifier).</param>
/// <param name="Reinitialized">Classifier tensors skipped because the class count differs; they keep fresh weights.</param>
public sealed record WeightLoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> Mismatched,
    IReadOnlyList<string> Reinitialized)
{
    /// <summary>True when every tensor of the network came from the file and every tensor of the file was used.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0 && Reinitialized.Count == 0;

    /// <summary>One line: counts, and the names of what was not loaded.</summary>
    public override string ToString()
    {
        var parts = new List<string> { $"{Loaded.Count} tensors loaded" };
        if (Reinitialized.Count > 0)
            parts.Add($"classifier re-initialized ({Names(Reinitialized)})");
        if (Missing.Count > 0)
            parts.Add($"{Missing.Count} missing ({Names(Missing)})");
        if (Unexpected.Count > 0)
            parts.Add($"{Unexpected.Count} unexpected ({Names(Unexpected)})");
        if (Mismatched.Count > 0)
            parts.Add($"{Mismatched.Count} with another shape ({string.Join("; ", Mismatched.Take(5))}{(Mismatched.Count > 5 ? "; ..." : "")})");
        return string.Join(", ", parts) + ".";
    }

    internal static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(8)) + (names.Count > 8 ? $", ... ({names.Count - 8} more)" : "");
}
