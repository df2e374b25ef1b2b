using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Everything that determines a trained Faster R-CNN's (or Mask R-CNN's) modules and scoring besides its weights: what the
/// trainer builds and what model.zip stores beside the state dictionary.
/// </summary>
/// <param name="Depth">ResNet depth.</param>
/// <param name="Fpn">Whether the backbone has a feature pyramid.</param>
/// <param name="FpnChannels">The pyramid's channels (ignored without one).</param>
/// <param name="Classes">Classes including the background.</param>
/// <param name="ImageSize">The square network input's side (the transform's min and max size).</param>
/// <param name="AnchorSizes">Anchor sizes per level.</param>
/// <param name="AspectRatios">Anchor aspect ratios, one list for every level or one per level.</param>
/// <param name="Rpn">RPN numbers.</param>
/// <param name="RoIHeads">Box head numbers.</param>
/// <param name="MaskHead">The mask branch's numbers for a Mask R-CNN; null for a Faster R-CNN.</param>
/// <param name="OnnxBackbone">An imported ONNX network as the backbone's body instead of the ResNet of <paramref name="Depth"/>; null for the ResNet.</param>
/// <param name="Network">The project's architecture of the body (ignored with <paramref name="OnnxBackbone"/>).</param>
internal sealed record FasterRcnnArchitecture(int Depth, bool Fpn, int FpnChannels, int Classes, int ImageSize,
    float[][] AnchorSizes, float[][] AspectRatios, RpnSettings Rpn, RoIHeadSettings RoIHeads, MaskHeadSettings? MaskHead = null,
    OnnxRcnnBackbone? OnnxBackbone = null, RcnnBackboneNetwork Network = RcnnBackboneNetwork.ResNet)
{
    /// <summary>
    /// Version 4 adds the body's architecture and is written only for a VGG-16 body; version 3 the ONNX backbone, written
    /// only with one (a ResNet model keeps version 2's bytes); version 2 the mask branch; versions 1 (Faster R-CNN only) to 3
    /// still load.
    /// </summary>
    private const int Version = 4;

    /// <summary>A network of this architecture with fresh weights (an ONNX backbone: its file's, or zeros when read from a model).</summary>
    public FasterRcnn Build(Device? device)
    {
        bool batchNorm = Network == RcnnBackboneNetwork.Vgg16BatchNorm;
        var backbone = OnnxBackbone is not null ? RcnnBackbone.Onnx(OnnxBackbone.CreateBody(), Fpn ? FpnChannels : null, device)
            : Network != RcnnBackboneNetwork.ResNet ? (Fpn ? RcnnBackbone.Vgg16Fpn(batchNorm, FpnChannels, device) : RcnnBackbone.Vgg16SingleMap(batchNorm, device))
            : Fpn ? RcnnBackbone.ResNetFpn(Depth, FpnChannels, device) : RcnnBackbone.ResNetSingleMap(Depth, device);
        var anchors = new AnchorGenerator(AnchorSizes, AspectRatios);
        return new FasterRcnn(backbone, anchors, Classes, new RcnnImageTransform(ImageSize, ImageSize), Rpn, RoIHeads, device, MaskHead);
    }

    public void Write(BinaryWriter writer)
    {
        bool vgg = OnnxBackbone is null && Network != RcnnBackboneNetwork.ResNet;
        writer.Write(vgg ? 4 : OnnxBackbone is null ? 2 : 3);
        writer.Write(Depth);
        writer.Write(Fpn);
        writer.Write(FpnChannels);
        writer.Write(Classes);
        writer.Write(ImageSize);
        WriteLevels(writer, AnchorSizes);
        WriteLevels(writer, AspectRatios);
        writer.Write(Rpn.ForegroundIoU);
        writer.Write(Rpn.BackgroundIoU);
        writer.Write(Rpn.BatchSizePerImage);
        writer.Write(Rpn.PositiveFraction);
        writer.Write(Rpn.PreNmsTopNTraining);
        writer.Write(Rpn.PreNmsTopNTesting);
        writer.Write(Rpn.PostNmsTopNTraining);
        writer.Write(Rpn.PostNmsTopNTesting);
        writer.Write(Rpn.NmsThreshold);
        writer.Write(Rpn.ScoreThreshold);
        writer.Write(Rpn.MinSize);
        writer.Write(RoIHeads.ForegroundIoU);
        writer.Write(RoIHeads.BackgroundIoU);
        writer.Write(RoIHeads.BatchSizePerImage);
        writer.Write(RoIHeads.PositiveFraction);
        writer.Write(RoIHeads.ScoreThreshold);
        writer.Write(RoIHeads.NmsThreshold);
        writer.Write(RoIHeads.DetectionsPerImage);
        writer.Write(RoIHeads.PooledSize);
        writer.Write(RoIHeads.SamplingRatio);
        writer.Write(RoIHeads.RepresentationSize);
        writer.Write(MaskHead is not null);
        if (MaskHead is not null)
        {
            writer.Write(MaskHead.PooledSize);
            writer.Write(MaskHead.SamplingRatio);
            writer.Write(MaskHead.Layers.Count);
            foreach (int layer in MaskHead.Layers)
                writer.Write(layer);
            writer.Write(MaskHead.Dilation);
            writer.Write(MaskHead.PredictorChannels);
        }
        if (OnnxBackbone is not null)
        {
            writer.Write(true);
            OnnxBackbone.Write(writer);
        }
        else if (vgg)
        {
            writer.Write(false);
            writer.Write((int)Network);
        }
    }

    public static FasterRcnnArchitecture Read(BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version is < 1 or > Version)
            throw new InvalidDataException($"Faster R-CNN model format version {version} is not supported (this build reads 1 to {Version}).");
        int depth = reader.ReadInt32();
        bool fpn = reader.ReadBoolean();
        int fpnChannels = reader.ReadInt32(), classes = reader.ReadInt32(), imageSize = reader.ReadInt32();
        var sizes = ReadLevels(reader);
        var ratios = ReadLevels(reader);
        var rpn = new RpnSettings
        {
            ForegroundIoU = reader.ReadDouble(), BackgroundIoU = reader.ReadDouble(), BatchSizePerImage = reader.ReadInt32(), PositiveFraction = reader.ReadDouble(),
            PreNmsTopNTraining = reader.ReadInt32(), PreNmsTopNTesting = reader.ReadInt32(), PostNmsTopNTraining = reader.ReadInt32(), PostNmsTopNTesting = reader.ReadInt32(),
            NmsThreshold = reader.ReadDouble(), ScoreThreshold = reader.ReadDouble(), MinSize = reader.ReadDouble(),
        };
        var roi = new RoIHeadSettings
        {
            ForegroundIoU = reader.ReadDouble(), BackgroundIoU = reader.ReadDouble(), BatchSizePerImage = reader.ReadInt32(), PositiveFraction = reader.ReadDouble(),
            ScoreThreshold = reader.ReadDouble(), NmsThreshold = reader.ReadDouble(), DetectionsPerImage = reader.ReadInt32(),
            PooledSize = reader.ReadInt32(), SamplingRatio = reader.ReadInt32(), RepresentationSize = reader.ReadInt32(),
        };
        MaskHeadSettings? mask = null;
        if (version >= 2 && reader.ReadBoolean())
        {
            int pooled = reader.ReadInt32(), sampling = reader.ReadInt32(), layerCount = reader.ReadInt32();
            if (layerCount is <= 0 or > 64)
                throw new InvalidDataException($"Corrupt Mask R-CNN model: {layerCount} mask head layers.");
            var layers = Enumerable.Range(0, layerCount).Select(_ => reader.ReadInt32()).ToArray();
            mask = new MaskHeadSettings { PooledSize = pooled, SamplingRatio = sampling, Layers = layers, Dilation = reader.ReadInt32(), PredictorChannels = reader.ReadInt32() };
        }
        var onnx = version >= 3 && reader.ReadBoolean() ? OnnxRcnnBackbone.Read(reader) : null;
        var network = version >= 4 && onnx is null ? (RcnnBackboneNetwork)reader.ReadInt32() : RcnnBackboneNetwork.ResNet;
        if (!Enum.IsDefined(network))
            throw new InvalidDataException($"Corrupt Faster R-CNN model: backbone network {(int)network}.");
        return new FasterRcnnArchitecture(depth, fpn, fpnChannels, classes, imageSize, sizes, ratios, rpn, roi, mask, onnx, network);
    }

    private static void WriteLevels(BinaryWriter writer, float[][] levels)
    {
        writer.Write(levels.Length);
        foreach (var level in levels)
        {
            writer.Write(level.Length);
            foreach (float value in level)
                writer.Write(value);
        }
    }

    private static float[][] ReadLevels(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count is <= 0 or > 64)
            throw new InvalidDataException($"Corrupt Faster R-CNN model: {count} anchor levels.");
        var levels = new float[count][];
        for (int i = 0; i < count; i++)
        {
            int length = reader.ReadInt32();
            if (length is <= 0 or > 64)
                throw new InvalidDataException($"Corrupt Faster R-CNN model: {length} anchor values in a level.");
            levels[i] = Enumerable.Range(0, length).Select(_ => reader.ReadSingle()).ToArray();
        }
        return levels;
    }
}
