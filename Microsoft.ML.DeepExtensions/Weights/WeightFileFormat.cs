namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>The weight file formats DeepExtensions reads and writes.</summary>
public enum WeightFileFormat
{
    /// <summary>
    /// PyTorch's <c>torch.save(model.state_dict(), path)</c>: a zip archive holding a pickled dictionary
    /// (<c>data.pkl</c>) whose tensors point at raw little-endian storages (<c>data/0</c>, <c>data/1</c>, ...).
    /// Usual extensions <c>.pt</c>, <c>.pth</c>, <c>.bin</c>.
    /// </summary>
    PyTorch,

    /// <summary>
    /// Hugging Face's safetensors: an 8-byte little-endian header length, a JSON header (name → dtype, shape,
    /// byte offsets) and the raw little-endian tensor data. Extension <c>.safetensors</c>.
    /// </summary>
    Safetensors,
}

/// <summary>Picks the <see cref="WeightFileFormat"/> of a path by its extension.</summary>
public static class WeightFileFormats
{
    /// <summary>The extensions of PyTorch checkpoints.</summary>
    public static IReadOnlyList<string> PyTorchExtensions { get; } = new[] { ".pt", ".pth", ".bin" };

    /// <summary>The format of <paramref name="path"/> by its extension, or null when the extension is none of them.</summary>
    public static WeightFileFormat? FromExtension(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".safetensors")
            return WeightFileFormat.Safetensors;
        return PyTorchExtensions.Contains(extension) ? WeightFileFormat.PyTorch : null;
    }

    /// <summary>
    /// The format of an existing file, by its first bytes (a zip archive is a PyTorch checkpoint, a plausible
    /// header length followed by <c>{</c> is safetensors), whatever its extension.
    /// </summary>
    /// <exception cref="WeightFileException">The file is neither.</exception>
    public static WeightFileFormat Detect(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Span<byte> head = stackalloc byte[9];
        int read;
        using (var stream = File.OpenRead(path))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
            return WeightFileFormat.PyTorch;
        if (read == 9 && head[8] == (byte)'{')
            return WeightFileFormat.Safetensors;
        if (read >= 2 && head[0] == 0x80)
            throw new WeightFileException(path, null, "this is a PyTorch file in the legacy (pre-1.6) pickle format; re-save it with torch.save(model.state_dict(), path) from PyTorch 1.6 or later (the zip format).");
        throw new WeightFileException(path, null, $"the file is neither a PyTorch checkpoint (a zip archive, as torch.save writes) nor a safetensors file ({read} bytes read at its start).");
    }
}
