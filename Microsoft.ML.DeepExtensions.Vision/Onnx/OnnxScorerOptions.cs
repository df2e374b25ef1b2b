using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Vision.Onnx;

/// <summary>
/// What every ONNX scoring transform of the project is given: the file, the image column, how many rows go to ONNX
/// Runtime together and where it runs. Each scorer's <c>Options</c> adds its own settings and may change the defaults
/// (<see cref="BatchSize"/>).
/// </summary>
public abstract class OnnxScorerOptions
{
    /// <summary>The ONNX file. Required.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>The input image column (an <c>MLImage</c>, from <c>LoadImages</c>). Defaults to <c>Image</c>.</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Rows read ahead and scored together in <c>Transform</c>; each scorer documents how a batch reaches ONNX
    /// Runtime and its default.</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>Where ONNX Runtime scores. Defaults to <see cref="ComputeDevice.Auto"/>: CUDA when ONNX Runtime's CUDA
    /// execution provider is present, else the CPU. <see cref="ComputeDevice.Cuda"/> without it fails unless
    /// <c>MLContext.FallbackToCpu</c> is set.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Auto;

    /// <summary>The GPU for CUDA. Defaults to null: <c>MLContext.GpuDeviceId</c>, else 0.</summary>
    public int? CudaDeviceIndex { get; set; }

    /// <summary>Refuses an empty <see cref="ModelPath"/> or <see cref="ImageColumnName"/> and a <see cref="BatchSize"/> below 1.</summary>
    private protected void CheckShared()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("ModelPath must name an ONNX file, got none.", nameof(ModelPath));
        if (string.IsNullOrWhiteSpace(ImageColumnName))
            throw new ArgumentException("ImageColumnName must not be empty.", nameof(ImageColumnName));
        if (BatchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be at least 1, got {BatchSize}.");
    }
}
