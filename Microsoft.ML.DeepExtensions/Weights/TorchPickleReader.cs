using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Weights;

/// <summary>
/// Reads the <c>data.pkl</c> of a <c>torch.save</c> checkpoint: a restricted unpickler that understands the
/// pickle opcodes of protocols 2 to 5 and only the globals a state dictionary needs
/// (<c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>, <c>_rebuild_parameter</c>, the
/// <c>torch.*Storage</c> types). Any other global (a whole pickled module, an arbitrary callable) is refused
/// by name, so loading a file never runs or builds anything else, as PyTorch's own <c>weights_only=True</c>.
/// </summary>
/// <remarks>
/// Tensors are rebuilt as PyTorch does: a view of (size, stride, storage offset) on a storage, where several
/// tensors may share one storage (tied weights, slices). TorchSharp.PyBridge 1.4.4's reader assumes each
/// tensor owns a storage of exactly its size and fails on such files ("setStorage ... out of bounds").
/// </remarks>
internal sealed class TorchPickleReader
{
    private readonly BinaryReader _reader;
    private readonly string _file;
    private readonly Func<StorageReference, Tensor> _storage;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    /// <param name="pickle">The pickle stream.</param>
    /// <param name="file">The file, for messages.</param>
    /// <param name="storage">Gives the 1-D tensor of a storage (read once per key by the caller).</param>
    public TorchPickleReader(Stream pickle, string file, Func<StorageReference, Tensor> storage)
    {
        _reader = new BinaryReader(pickle, Encoding.UTF8, leaveOpen: true);
        _file = file;
        _storage = storage;
    }

    /// <summary>A <c>torch.*Storage</c> the pickle points at: element type, archive key and element count.</summary>
    internal sealed record StorageReference(ScalarType DataType, string Key, long Elements);

    /// <summary>A global the reader allows, as it sits on the stack before <c>REDUCE</c>.</summary>
    private sealed record Global(string Module, string Name);

    /// <summary>A dictionary in pickle order (Python dicts and OrderedDicts keep insertion order).</summary>
    internal sealed class PickleDictionary : List<KeyValuePair<object, object?>>
    {
    }

    /// <summary>Runs the pickle to its <c>STOP</c> and returns the object it built.</summary>
    public object? Load()
    {
        try
        {
            while (true)
            {
                byte op = _reader.ReadByte();
                switch (op)
                {
                    case 0x80: _reader.ReadByte(); break; // PROTO
                    case 0x95: _reader.ReadInt64(); break; // FRAME
                    case (byte)'.': return Pop(); // STOP
                    case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                    case (byte)'}': _stack.Add(new PickleDictionary()); break; // EMPTY_DICT
                    case (byte)']': _stack.Add(new List<object?>()); break; // EMPTY_LIST
                    case (byte)')': _stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                    case (byte)'t': _stack.Add(PopMark().ToArray()); break; // TUPLE
                    case 0x85: _stack.Add(new[] { Pop() }); break; // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b }); break; } // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b, c }); break; } // TUPLE3
                    case (byte)'N': _stack.Add(null); break;
                    case 0x88: _stack.Add(true); break;
                    case 0x89: _stack.Add(false); break;
                    case (byte)'K': _stack.Add((long)_reader.ReadByte()); break; // BININT1
                    case (byte)'M': _stack.Add((long)_reader.ReadUInt16()); break; // BININT2
                    case (byte)'J': _stack.Add((long)_reader.ReadInt32()); break; // BININT
                    case 0x8a: _stack.Add(ReadLong(_reader.ReadByte())); break; // LONG1
                    case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(_reader.ReadBytes(8))); break; // BINFLOAT
                    case (byte)'X': _stack.Add(ReadString(_reader.ReadUInt32())); break; // BINUNICODE
                    case 0x8c: _stack.Add(ReadString(_reader.ReadByte())); break; // SHORT_BINUNICODE
                    case 0x8d: _stack.Add(ReadString(checked((long)_reader.ReadUInt64()))); break; // BINUNICODE8
                    case (byte)'C': _stack.Add(ReadBytes(_reader.ReadByte())); break; // SHORT_BINBYTES
                    case (byte)'B': _stack.Add(ReadBytes(_reader.ReadUInt32())); break; // BINBYTES
                    case (byte)'q': _memo[_reader.ReadByte()] = Peek(); break; // BINPUT
                    case (byte)'r': _memo[_reader.ReadUInt32()] = Peek(); break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                    case (byte)'h': _stack.Add(Memo(_reader.ReadByte())); break; // BINGET
                    case (byte)'j': _stack.Add(Memo(_reader.ReadUInt32())); break; // LONG_BINGET
                    case (byte)'c': _stack.Add(CheckGlobal(ReadLine(), ReadLine())); break; // GLOBAL
                    case 0x93: { var name = (string)Pop()!; var module = (string)Pop()!; _stack.Add(CheckGlobal(module, name)); break; } // STACK_GLOBAL
                    case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break; // BINPERSID
                    case (byte)'R': { var args = (object?[])Pop()!; var callable = Pop(); _stack.Add(Reduce(callable, args)); break; } // REDUCE
                    case 0x81: { var args = (object?[])Pop()!; var type = Pop(); _stack.Add(Reduce(type, args)); break; } // NEWOBJ
                    case (byte)'b': Pop(); break; // BUILD: the state of an OrderedDict (_metadata) or a tensor (hooks) is not needed
                    case (byte)'s': { var value = Pop(); var key = Pop()!; Dictionary(Peek()).Add(new(key, value)); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        var dictionary = Dictionary(Peek());
                        for (int i = 0; i + 1 < items.Count; i += 2)
                            dictionary.Add(new(items[i]!, items[i + 1]));
                        break;
                    }
                    case (byte)'a': { var value = Pop(); List(Peek()).Add(value); break; } // APPEND
                    case (byte)'e': { var items = PopMark(); List(Peek()).AddRange(items); break; } // APPENDS
                    default:
                        throw Fail($"data.pkl uses the pickle opcode 0x{op:x2} at byte {_reader.BaseStream.Position - 1}, which a state dictionary saved by torch.save does not contain.");
                }
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new WeightFileException(_file, null, "data.pkl is truncated (the pickle ends before its STOP opcode).", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new WeightFileException(_file, null, $"data.pkl is not a state dictionary as torch.save writes it: {ex.Message}", ex);
        }
    }

    private object CheckGlobal(string module, string name)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_tensor" or "_rebuild_parameter") => true,
            ("torch", _) when name.EndsWith("Storage", StringComparison.Ordinal) => true,
            _ => false,
        };
        if (!allowed)
        {
            throw Fail($"data.pkl refers to '{module}.{name}', which a state dictionary does not contain " +
                "(was a whole model pickled? save model.state_dict() instead). Only tensors, dictionaries and numbers are read.");
        }
        return new Global(module, name);
    }

    private object? Reduce(object? callable, object?[] args)
    {
        if (callable is not Global global)
            throw Fail($"data.pkl calls a {callable?.GetType().Name ?? "null"} that is not an allowed global.");
        switch (global.Name)
        {
            case "OrderedDict":
                return new PickleDictionary();
            case "_rebuild_parameter":
                return args[0];
            case "_rebuild_tensor" or "_rebuild_tensor_v2":
            {
                var storage = (StorageReference)args[0]!;
                long offset = (long)args[1]!;
                var size = ((object?[])args[2]!).Select(d => (long)d!).ToArray();
                var stride = ((object?[])args[3]!).Select(d => (long)d!).ToArray();
                var data = _storage(storage);
                long needed = size.Length == 0 ? offset + 1 : offset + size.Select((d, i) => d == 0 ? 0 : (d - 1) * stride[i]).Sum() + (size.Any(d => d == 0) ? 0 : 1);
                if (needed > storage.Elements)
                    throw Fail($"a tensor of size [{string.Join(", ", size)}] at offset {offset} needs {needed} elements of storage '{storage.Key}', which has {storage.Elements}.");
                return data.as_strided(size, stride, offset);
            }
            default:
                throw Fail($"data.pkl calls '{global.Module}.{global.Name}' as a function.");
        }
    }

    private object PersistentLoad(object? id)
    {
        // ('storage', torch.FloatStorage, key, location, numel)
        if (id is not object?[] { Length: >= 5 } tuple || tuple[0] is not "storage" || tuple[1] is not Global type)
            throw Fail("data.pkl has a persistent id that is not a ('storage', type, key, location, size) tuple.");
        var dataType = type.Name switch
        {
            "FloatStorage" => ScalarType.Float32,
            "DoubleStorage" => ScalarType.Float64,
            "HalfStorage" => ScalarType.Float16,
            "BFloat16Storage" => ScalarType.BFloat16,
            "LongStorage" => ScalarType.Int64,
            "IntStorage" => ScalarType.Int32,
            "ShortStorage" => ScalarType.Int16,
            "CharStorage" => ScalarType.Int8,
            "ByteStorage" => ScalarType.Byte,
            "BoolStorage" => ScalarType.Bool,
            _ => throw Fail($"tensors stored as torch.{type.Name} are not supported (supported: float, double, half, bfloat16, long, int, short, char, byte, bool)."),
        };
        return new StorageReference(dataType, Convert.ToString(tuple[2], System.Globalization.CultureInfo.InvariantCulture)!, (long)tuple[4]!);
    }

    private object? Pop()
    {
        if (_stack.Count == 0)
            throw Fail("data.pkl pops an empty stack.");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Fail("data.pkl reads an empty stack.");

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
            throw Fail("data.pkl closes a MARK it never opened.");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object? Memo(long index) => _memo.TryGetValue(index, out var value) ? value : throw Fail($"data.pkl reads memo entry {index}, which it never stored.");

    private PickleDictionary Dictionary(object? target) => target as PickleDictionary ?? throw Fail("data.pkl sets an item on something that is not a dictionary.");

    private List<object?> List(object? target) => target as List<object?> ?? throw Fail("data.pkl appends to something that is not a list.");

    private string ReadLine()
    {
        var bytes = new List<byte>();
        for (byte b = _reader.ReadByte(); b != (byte)'\n'; b = _reader.ReadByte())
        {
            if (bytes.Count > 256)
                throw Fail("data.pkl has a global name longer than 256 bytes.");
            bytes.Add(b);
        }
        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    private string ReadString(long length) => Encoding.UTF8.GetString(ReadBytes(length));

    private byte[] ReadBytes(long length)
    {
        if (length < 0 || length > _reader.BaseStream.Length - _reader.BaseStream.Position)
            throw new EndOfStreamException();
        return _reader.ReadBytes((int)length);
    }

    private long ReadLong(int length)
    {
        if (length > 8)
            throw Fail($"data.pkl holds an integer of {length} bytes; at most 8 are supported.");
        var bytes = ReadBytes(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--)
            value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0)
            value -= 1L << (8 * length); // two's complement sign
        return value;
    }

    private WeightFileException Fail(string message) => new(_file, null, message);
}
