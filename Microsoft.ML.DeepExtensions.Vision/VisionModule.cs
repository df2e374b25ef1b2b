using System.Runtime.CompilerServices;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Vision.Architectures;
using Microsoft.ML.DeepExtensions.Vision.Classification;

namespace Microsoft.ML.DeepExtensions.Vision;

/// <summary>
/// Runs when the Vision assembly loads (the core loads it on demand when a model names one of its
/// network kinds or a column only it can read): plugs the package into the core.
/// </summary>
internal static class VisionModule
{
    // CA2255 warns that libraries rarely need a module initializer; this one must run before the
    // core meets a Vision network kind or image column, with no user code in between.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        // Its network kinds become loadable from model.zip.
        NetworkDefinition.Register(ImageNetwork.KindName, ImageNetwork.Read);
        NetworkDefinition.Register(ImageNetwork.NormalizedKindName, ImageNetwork.ReadNormalized);
        // Image columns become readable as tensors by every trainer and scorer.
        TensorColumn.RegisterAdapter(ImageColumnAdapter.Instance);
    }
}
