using System.Collections;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// Named tensors in file order, as PyTorch's <c>state_dict()</c>: parameters and buffers (batch-norm running
/// statistics, <c>num_batches_tracked</c>) of a network, on the CPU. Owns its tensors: dispose it when done.
/// Read and write one with <see cref="WeightFiles"/>.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="tensor"/> under <paramref name="name"/>; the dictionary owns it from now on.</summary>
    /// <exception cref="ArgumentException">The name is empty or already present.</exception>
    public void Add(string name, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensors.TryAdd(name, tensor))
            throw new ArgumentException($"Tensor '{name}' is already in the state dictionary.", nameof(name));
        _order.Add(name);
    }

    /// <summary>Puts <paramref name="tensor"/> in place of the tensor under <paramref name="name"/>, which it disposes; the order stays.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public void Replace(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensors.TryGetValue(name, out var old))
            throw new KeyNotFoundException($"Tensor '{name}' is not in the state dictionary.");
        _tensors[name] = tensor;
        if (!ReferenceEquals(old, tensor))
            old.Dispose();
    }

    /// <summary>The names in insertion (file) order.</summary>
    public IEnumerable<string> Keys => _order;

    /// <summary>The tensors in insertion (file) order.</summary>
    public IEnumerable<Tensor> Values => _order.Select(n => _tensors[n]);

    /// <inheritdoc/>
    public int Count => _order.Count;

    /// <inheritdoc/>
    public Tensor this[string key] => _tensors.TryGetValue(key, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"Tensor '{key}' is not in the state dictionary.");

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => _tensors.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(n => new KeyValuePair<string, Tensor>(n, _tensors[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var tensor in _tensors.Values)
            tensor.Dispose();
        _tensors.Clear();
        _order.Clear();
    }
}
