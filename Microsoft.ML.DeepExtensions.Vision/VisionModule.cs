using System.Runtime.CompilerServices;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Architectures;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>Runs when the Vision assembly loads: makes its network kinds loadable from model.zip.</summary>
internal static class VisionModule
{
    [ModuleInitializer]
    internal static void Initialize() => NetworkDefinition.Register(ImageNetwork.KindName, ImageNetwork.Read);
}
