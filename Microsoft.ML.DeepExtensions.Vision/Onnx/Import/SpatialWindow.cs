namespace Microsoft.ML.DeepExtensions.Vision.Onnx.Import;

/// <summary>
/// The sliding window of a 2-D Conv, MaxPool or AveragePool node: kernel, strides, dilations and pads
/// (explicit <c>pads = [top, left, bottom, right]</c> or <c>auto_pad</c> SAME_UPPER / SAME_LOWER / VALID).
/// </summary>
internal sealed class SpatialWindow
{
    private readonly long[] _pads;
    private readonly string _autoPad;

    public SpatialWindow(OnnxNodeAttributes attributes, string node, long[] kernel)
    {
        if (kernel.Length != 2)
            throw new OnnxFormatException($"{node}: only 2-D windows are supported, got kernel_shape [{string.Join(", ", kernel)}].");
        Kernel = kernel;
        Strides = attributes.Ints("strides") ?? new long[] { 1, 1 };
        Dilations = attributes.Ints("dilations") ?? new long[] { 1, 1 };
        _pads = attributes.Ints("pads") ?? new long[] { 0, 0, 0, 0 };
        _autoPad = attributes.String("auto_pad", "NOTSET");
        if (Strides.Length != 2 || Dilations.Length != 2 || _pads.Length != 4)
            throw new OnnxFormatException($"{node}: strides, dilations and pads must have 2, 2 and 4 values for a 2-D window.");
        if (_autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw attributes.Unsupported("auto_pad", _autoPad, "NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        if (Strides.Any(s => s < 1) || Dilations.Any(d => d < 1) || _pads.Any(p => p < 0) || kernel.Any(k => k < 1))
            throw new OnnxFormatException($"{node}: kernel, strides and dilations must be positive and pads not negative.");
    }

    public long[] Kernel { get; }

    public long[] Strides { get; }

    public long[] Dilations { get; }

    /// <summary>Pads (top, left, bottom, right) for an input of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public long[] Pads(long height, long width)
    {
        if (_autoPad is "NOTSET")
            return _pads;
        if (_autoPad is "VALID")
            return new long[] { 0, 0, 0, 0 };
        var (top, bottom) = Same(height, 0);
        var (left, right) = Same(width, 1);
        return new[] { top, left, bottom, right };
    }

    /// <summary>Whether the pads are equal on both sides of each axis (PyTorch's padding argument).</summary>
    public static bool IsSymmetric(long[] pads) => pads[0] == pads[2] && pads[1] == pads[3];

    private (long Before, long After) Same(long size, int axis)
    {
        long output = (size + Strides[axis] - 1) / Strides[axis];
        long total = Math.Max(0, (output - 1) * Strides[axis] + (Kernel[axis] - 1) * Dilations[axis] + 1 - size);
        long small = total / 2, large = total - small;
        return _autoPad == "SAME_UPPER" ? (small, large) : (large, small);
    }
}
