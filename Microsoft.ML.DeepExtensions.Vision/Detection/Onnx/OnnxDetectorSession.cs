using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>
/// One ONNX Runtime session over a detector's model bytes, on the CPU or on CUDA (ONNX Runtime's CUDA
/// execution provider), with the model's layout and metadata. The bytes are kept for model.zip.
/// </summary>
internal sealed class OnnxDetectorSession : IDisposable
{
    private const string CudaProvider = "CUDAExecutionProvider";

    private OnnxDetectorSession(byte[] modelBytes, string modelName, InferenceSession session, string device)
    {
        ModelBytes = modelBytes;
        ModelName = modelName;
        Session = session;
        Device = device;
        Layout = OnnxModelLayout.Of(session);
        Metadata = session.ModelMetadata.CustomMetadataMap;
    }

    /// <summary>The ONNX file's bytes, as saved inside model.zip.</summary>
    public byte[] ModelBytes { get; }

    /// <summary>The file name (or "model.zip entry") for messages.</summary>
    public string ModelName { get; }

    public InferenceSession Session { get; }

    /// <summary>Where the session runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; }

    public OnnxModelLayout Layout { get; }

    /// <summary>The model's metadata_props (e.g. Ultralytics' <c>names</c>, <c>imgsz</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads an ONNX file and opens it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model.</exception>
    public static OnnxDetectorSession Open(string modelPath, ComputeDevice device, int? cudaDeviceIndex, IHostEnvironment env, IChannel? log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"ONNX model file '{modelPath}' not found.", modelPath);
        return Open(File.ReadAllBytes(modelPath), Path.GetFileName(modelPath), device, cudaDeviceIndex, env, log);
    }

    /// <summary>Opens an ONNX model held in memory (e.g. read back from model.zip).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a readable ONNX model.</exception>
    public static OnnxDetectorSession Open(byte[] modelBytes, string modelName, ComputeDevice device, int? cudaDeviceIndex, IHostEnvironment env, IChannel? log)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        if (!Enum.IsDefined(device))
            throw new ArgumentOutOfRangeException(nameof(device), device, $"Device must be Auto, Cpu or Cuda, got {(int)device}.");
        if (cudaDeviceIndex < 0)
            throw new ArgumentOutOfRangeException(nameof(cudaDeviceIndex), cudaDeviceIndex, $"CudaDeviceIndex must be 0 or more, got {cudaDeviceIndex}.");
        if (modelBytes.Length == 0)
            throw new InvalidDataException($"ONNX model '{modelName}' is empty (0 bytes).");

        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        // The batched transforms read and prepare the next batch while the model runs: ONNX Runtime's pool threads must not
        // spin between its parallel sections on the cores that work needs (they block instead).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try
        {
            string where = ChooseDevice(options, device, cudaDeviceIndex, env, log);
            InferenceSession session;
            try
            {
                session = new InferenceSession(modelBytes, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new InvalidDataException($"'{modelName}' is not a readable ONNX model ({modelBytes.Length:N0} bytes): {ex.Message}", ex);
            }
            return new OnnxDetectorSession(modelBytes, modelName, session, where);
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>Adds the CUDA execution provider when asked for and present; otherwise follows <c>MLContext.FallbackToCpu</c>.</summary>
    private static string ChooseDevice(SessionOptions options, ComputeDevice device, int? cudaDeviceIndex, IHostEnvironment env, IChannel? log)
    {
        if (device == ComputeDevice.Cpu)
            return "cpu";
        int? contextIndex = MlNetInternals.GetGpuDeviceId(env);
        int index = cudaDeviceIndex ?? contextIndex ?? 0;
        string? problem = null;
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
        {
            problem = "this ONNX Runtime has no CUDA execution provider (reference Microsoft.ML.OnnxRuntime.Gpu instead of Microsoft.ML.OnnxRuntime)";
        }
        else
        {
            try
            {
                options.AppendExecutionProvider_CUDA(index);
                return $"cuda:{index}";
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                problem = $"ONNX Runtime's CUDA execution provider could not start on GPU {index}: {ex.Message}";
            }
        }
        if (device == ComputeDevice.Auto)
        {
            log?.Info(MessageSensitivity.None, $"Device Auto: {problem}; scoring on the CPU.");
            return "cpu";
        }
        if (MlNetInternals.GetFallbackToCpu(env))
        {
            log?.Warning(MessageSensitivity.None, $"ComputeDevice.Cuda asks for GPU {index}, but {problem}. MLContext.FallbackToCpu is set, so this runs on the CPU.");
            return "cpu";
        }
        throw new InvalidOperationException(
            $"ComputeDevice.Cuda asks for GPU {index}, but {problem}. Set MLContext.FallbackToCpu = true to run on the CPU instead, or ask for ComputeDevice.Cpu or Auto.");
    }

    public void Dispose() => Session.Dispose();
}
