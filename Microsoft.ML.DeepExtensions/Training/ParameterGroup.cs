using TorchSharp.Modules;

namespace Microsoft.ML.DeepExtensions.Training;

/// <summary>
/// Parameters that train at their own learning rate: <paramref name="LearningRateFactor"/> times the schedule's rate
/// (e.g. a new classifier head at 10× a pretrained backbone's). Each group gets its own optimizer state.
/// </summary>
/// <param name="Name">What the group is, for messages (e.g. <c>backbone</c>, <c>head</c>).</param>
/// <param name="Parameters">The group's trainable parameters.</param>
/// <param name="LearningRateFactor">Multiplies the learning rate of every epoch; positive.</param>
internal sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRateFactor);
