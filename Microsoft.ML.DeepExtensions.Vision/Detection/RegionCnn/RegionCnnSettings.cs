using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.RegionCnn;

/// <summary>How a trained R-CNN scores: the letterboxed image side, the warp, the proposals and the detection thresholds (saved in model.zip).</summary>
/// <param name="ImageSize">The side images are letterboxed to before selective search.</param>
/// <param name="WarpSize">The side regions are warped to.</param>
/// <param name="ContextPadding">Context pixels around a warped region.</param>
/// <param name="ProposalMode">Selective search's strategies.</param>
/// <param name="MaxProposals">Proposals scored per image.</param>
/// <param name="MinProposalSize">Smallest proposal side.</param>
/// <param name="ConfidenceThreshold">Detections scoring at most this are dropped.</param>
/// <param name="IouThreshold">Per-class NMS threshold.</param>
/// <param name="MaxDetections">The most detections per image.</param>
internal sealed record RegionCnnSettings(int ImageSize, int WarpSize, int ContextPadding, SelectiveSearchMode ProposalMode, int MaxProposals, int MinProposalSize,
    float ConfidenceThreshold, float IouThreshold, int MaxDetections)
{
    public void Write(BinaryWriter writer)
    {
        writer.Write(ImageSize);
        writer.Write(WarpSize);
        writer.Write(ContextPadding);
        writer.Write((int)ProposalMode);
        writer.Write(MaxProposals);
        writer.Write(MinProposalSize);
        writer.Write(ConfidenceThreshold);
        writer.Write(IouThreshold);
        writer.Write(MaxDetections);
    }

    public static RegionCnnSettings Read(BinaryReader reader)
    {
        var settings = new RegionCnnSettings(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), (SelectiveSearchMode)reader.ReadInt32(),
            reader.ReadInt32(), reader.ReadInt32(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadInt32());
        if (settings.WarpSize < 1 || settings.ImageSize < settings.WarpSize || settings.ContextPadding < 0 || 2 * settings.ContextPadding >= settings.WarpSize
            || !Enum.IsDefined(settings.ProposalMode) || settings.MaxProposals < 1 || settings.MinProposalSize < 1)
            throw new InvalidDataException($"Corrupt R-CNN model: settings {settings}.");
        DetectorThresholds.Check(settings.ConfidenceThreshold, settings.IouThreshold, settings.MaxDetections);
        return settings;
    }
}
