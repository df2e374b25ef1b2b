using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// Copies a state dictionary into a network's parameters and buffers by name, as PyTorch's
/// <c>load_state_dict</c>, with every missing, unexpected and wrongly-shaped tensor reported by name.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Loads <paramref name="weights"/> into <paramref name="network"/>.</summary>
    /// <param name="network">The network; its tensors keep their device and type (values are converted).</param>
    /// <param name="weights">The tensors, named as in the file.</param>
    /// <param name="fileName">Maps a network tensor's name to its name in the file (e.g. DeepExtensions' <c>features.conv1.weight</c>
    /// to torchvision's <c>features.0.weight</c>). Defaults to the same name.</param>
    /// <param name="strict">Refuse the file when a tensor is missing or unexpected (PyTorch's <c>strict=True</c>). Shape mismatches are always refused.</param>
    /// <param name="reinitializable">Network tensors (network names) that may keep their fresh values when the file's shape differs
    /// or the file lacks them: the classifier, whose size is the class count.</param>
    /// <param name="source">The file, for messages.</param>
    /// <exception cref="WeightFileException">A shape differs, or (strict) a tensor is missing or unexpected; the message names them.</exception>
    public static WeightLoadReport Load(nn.Module network, IReadOnlyDictionary<string, Tensor> weights, Func<string, string>? fileName = null,
        bool strict = true, ISet<string>? reinitializable = null, string source = "state dictionary")
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        fileName ??= n => n;
        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        var reinitialized = new List<string>();
        var used = new HashSet<string>();
        var copies = new List<(Tensor Target, Tensor Source)>();

        foreach (var (name, target) in network.state_dict())
        {
            string key = fileName(name);
            if (!weights.TryGetValue(key, out var value))
            {
                // Batch normalization's step counter only matters for momentum=None; PyTorch too tolerates files without it.
                // A classifier the file lacks (weights of a feature extractor) starts fresh, as one of another class count does.
                if (reinitializable?.Contains(name) == true)
                    reinitialized.Add(key);
                else if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    missing.Add(key);
                continue;
            }
            used.Add(key);
            if (!value.shape.SequenceEqual(target.shape))
            {
                if (reinitializable?.Contains(name) == true)
                    reinitialized.Add(key);
                else
                    mismatched.Add(new ShapeMismatch(key, value.shape, target.shape));
                continue;
            }
            copies.Add((target, value));
            loaded.Add(key);
        }
        var unexpected = weights.Keys.Where(k => !used.Contains(k)).ToList();
        var report = new WeightLoadReport(loaded, missing, unexpected, mismatched, reinitialized);

        if (mismatched.Count > 0)
            throw new WeightFileException(source, mismatched[0].Name, $"the shapes differ from the network's: {string.Join("; ", mismatched.Take(5))}{(mismatched.Count > 5 ? $"; ... ({mismatched.Count - 5} more)" : "")}.");
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var problems = new List<string>();
            if (missing.Count > 0)
                problems.Add($"missing {WeightLoadReport.Names(missing)}");
            if (unexpected.Count > 0)
                problems.Add($"unexpected {WeightLoadReport.Names(unexpected)}");
            throw new WeightFileException(source, (missing.Count > 0 ? missing : unexpected)[0],
                $"the tensors do not match the network ({string.Join("; ", problems)}). Load with strict: false to keep the network's values for the missing ones and ignore the unexpected ones.");
        }

        using var noGrad = torch.no_grad();
        foreach (var (target, value) in copies)
            target.copy_(value);
        return report;
    }
}
