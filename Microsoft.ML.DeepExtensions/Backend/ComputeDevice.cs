namespace Microsoft.ML.DeepExtensions.Backend;

/// <summary>Where TorchSharp trains and scores.</summary>
public enum ComputeDevice
{
    /// <summary>
    /// A CUDA GPU when one is usable (at <c>MLContext.GpuDeviceId</c>, or GPU 0), else the CPU.
    /// </summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>
    /// A CUDA GPU. When none is usable this fails, unless <c>MLContext.FallbackToCpu</c> is set,
    /// in which case it falls back to the CPU with a warning.
    /// </summary>
    Cuda,
}
