using System.Runtime.CompilerServices;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Architectures;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>Runs when the Vision assembly loads: makes its network kinds loadable from model.zip.</summary>
internal static class VisionModule
{
    // A library module initializer is the point here: a model.zip naming an image network must load as
    // soon as this assembly is loaded, before any of its types is touched (CA2255 warns about exactly that).
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => NetworkDefinition.Register(ImageNetwork.KindName, ImageNetwork.Read);
}
