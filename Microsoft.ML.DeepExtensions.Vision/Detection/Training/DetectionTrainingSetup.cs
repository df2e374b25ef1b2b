using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>What a detector trainer knows about its data and device when it builds its network.</summary>
/// <param name="ClassNames">The label's class names, in class-index order.</param>
/// <param name="ImageSize">The network input's side: images are letterboxed to it.</param>
/// <param name="BoxSizes">Width and height of every training box, in letterboxed pixels (e.g. to cluster anchors).</param>
/// <param name="Device">The training device.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Channel">The MLContext log of this training.</param>
internal sealed record DetectionTrainingSetup(
    IReadOnlyList<string> ClassNames,
    int ImageSize,
    IReadOnlyList<(float Width, float Height)> BoxSizes,
    Device Device,
    int Seed,
    IChannel Channel);
