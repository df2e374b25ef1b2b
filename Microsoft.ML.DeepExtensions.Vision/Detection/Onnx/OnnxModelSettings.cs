using Microsoft.ML.DeepExtensions.Backend;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;

/// <summary>Reads and writes the ONNX bytes and device preference every ONNX detector keeps in model.zip.</summary>
internal static class OnnxModelSettings
{
    /// <summary>ONNX files larger than this are refused at load time as corrupt (2 GiB is protobuf's own limit).</summary>
    private const int MaxModelBytes = int.MaxValue - 64;

    public static void Write(BinaryWriter writer, OnnxDetectorSession session, ComputeDevice device, int? cudaDeviceIndex)
    {
        writer.Write(session.ModelName);
        writer.Write((int)device);
        writer.Write(cudaDeviceIndex ?? -1);
        writer.Write(session.ModelBytes.Length);
        writer.Write(session.ModelBytes);
    }

    public static (string ModelName, ComputeDevice Device, int? CudaDeviceIndex, byte[] ModelBytes) Read(BinaryReader reader)
    {
        string name = reader.ReadString();
        var device = (ComputeDevice)reader.ReadInt32();
        int cuda = reader.ReadInt32();
        int length = reader.ReadInt32();
        if (!Enum.IsDefined(device) || cuda < -1 || length <= 0 || length > MaxModelBytes)
            throw new InvalidDataException($"Corrupt ONNX detector: device {(int)device}, GPU {cuda}, {length} model bytes.");
        byte[] bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
            throw new InvalidDataException($"Corrupt ONNX detector: the ONNX model is truncated ({bytes.Length} of {length} bytes).");
        return (name, device, cuda < 0 ? null : cuda, bytes);
    }
}
