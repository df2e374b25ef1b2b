using System.IO.Compression;
using Microsoft.ML.DeepExtensions.Backend;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// PyTorch's <c>torch.save</c> zip format: <c>{archive}/data.pkl</c> (the pickled dictionary, read by
/// <see cref="TorchPickleReader"/>), <c>{archive}/data/{key}</c> (one raw little-endian storage per key) and
/// <c>{archive}/version</c>.
/// </summary>
internal static class TorchCheckpointFile
{
    /// <summary>The serialization format version torch.save writes and PyTorch 1.6+ reads.</summary>
    private const string FormatVersion = "3";

    /// <summary>Reads the state dictionary of a checkpoint; a checkpoint dictionary's <c>state_dict</c> or <c>model</c> entry when it has one.</summary>
    public static StateDict Read(string path)
    {
        TorchBackend.EnsureStarted();
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new WeightFileException(path, null, $"the zip archive is damaged or truncated ({ex.Message}).", ex);
        }

        using (archive)
        {
            var pickle = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new WeightFileException(path, null, "the zip archive has no data.pkl, so torch.save did not write it.");
            string prefix = pickle.FullName[..^"data.pkl".Length];
            var storages = new Dictionary<string, Tensor>();
            try
            {
                object? root;
                using (var scope = torch.NewDisposeScope())
                {
                    using var buffer = new MemoryStream();
                    using (var stream = pickle.Open())
                        CopyEntry(path, pickle, stream, buffer);
                    buffer.Position = 0;
                    root = new TorchPickleReader(buffer, path, reference => Storage(path, archive, prefix, reference, storages)).Load();
                    var dictionary = StateDictionaryOf(path, root);
                    var result = new StateDict();
                    foreach (var (key, value) in dictionary)
                    {
                        if (key is not string name)
                            throw new WeightFileException(path, null, $"the state dictionary has a key of type {key.GetType().Name}; tensor names are strings.");
                        if (value is not Tensor tensor)
                            throw new WeightFileException(path, name, $"the value is {Describe(value)}, not a tensor.");
                        result.Add(name, tensor.contiguous().DetachFromDisposeScope()); // a view keeps its storage alive; no copy unless strided
                    }
                    return result;
                }
            }
            catch (InvalidDataException ex)
            {
                throw new WeightFileException(path, null, $"the zip archive is damaged or truncated ({ex.Message}).", ex);
            }
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (already on the CPU and contiguous) as torch.save would, under the archive name <c>archive</c>.</summary>
    public static void Write(Stream output, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        const string Archive = "archive/";
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        using (var stream = zip.CreateEntry(Archive + "data.pkl", CompressionLevel.NoCompression).Open())
            TorchPickleWriter.Write(stream, tensors);
        for (int i = 0; i < tensors.Count; i++)
        {
            using var stream = zip.CreateEntry($"{Archive}data/{i}", CompressionLevel.NoCompression).Open();
            stream.Write(tensors[i].Tensor.bytes);
        }
        using (var writer = new StreamWriter(zip.CreateEntry(Archive + "version", CompressionLevel.NoCompression).Open()))
            writer.Write(FormatVersion + "\n");
    }

    private static IEnumerable<KeyValuePair<object, object?>> StateDictionaryOf(string path, object? root)
    {
        if (root is not TorchPickleReader.PickleDictionary dictionary)
            throw new WeightFileException(path, null, $"the pickled object is {Describe(root)}, not a state dictionary.");
        // Training checkpoints often wrap the weights: {"state_dict": {...}, "epoch": 3} or {"model": {...}}.
        if (!dictionary.Any(p => p.Value is Tensor))
        {
            foreach (var key in new[] { "state_dict", "model", "model_state_dict" })
            {
                var inner = dictionary.FirstOrDefault(p => key.Equals(p.Key));
                if (inner.Value is TorchPickleReader.PickleDictionary nested)
                    return nested;
            }
        }
        return dictionary;
    }

    private static Tensor Storage(string path, ZipArchive archive, string prefix, TorchPickleReader.StorageReference reference, Dictionary<string, Tensor> storages)
    {
        if (storages.TryGetValue(reference.Key, out var cached))
            return cached;
        var entry = archive.GetEntry($"{prefix}data/{reference.Key}")
            ?? throw new WeightFileException(path, null, $"storage '{reference.Key}' is missing from the archive (no {prefix}data/{reference.Key}).");
        var tensor = torch.empty(reference.Elements, reference.DataType);
        long bytes = reference.Elements * tensor.ElementSize;
        if (entry.Length < bytes)
            throw new WeightFileException(path, null, $"storage '{reference.Key}' has {entry.Length} bytes; its {reference.Elements} {reference.DataType} elements need {bytes} (the file is truncated).");
        if (bytes > int.MaxValue)
            throw new WeightFileException(path, null, $"storage '{reference.Key}' has {bytes} bytes; storages of 2 GB or more are not supported.");
        var buffer = new byte[bytes];
        using (var stream = entry.Open())
        {
            try
            {
                stream.ReadExactly(buffer);
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
            {
                throw new WeightFileException(path, null, $"storage '{reference.Key}' cannot be read in full (the file is damaged or truncated).", ex);
            }
        }
        tensor.bytes = buffer;
        storages[reference.Key] = tensor;
        return tensor;
    }

    private static void CopyEntry(string path, ZipArchiveEntry entry, Stream source, Stream destination)
    {
        try
        {
            source.CopyTo(destination);
        }
        catch (InvalidDataException ex)
        {
            throw new WeightFileException(path, null, $"entry '{entry.FullName}' is damaged or truncated ({ex.Message}).", ex);
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string => "a string",
        long or double or bool => $"the number {value}",
        TorchPickleReader.PickleDictionary => "a dictionary",
        _ => $"a {value.GetType().Name}",
    };
}
