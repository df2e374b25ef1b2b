using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.TwoStage;

/// <summary>
/// Detects objects with a trained Faster R-CNN: the transformer that <c>mlContext.ObjectDetection().Trainers.FasterRcnn(...)</c>
/// fits (see <see cref="RcnnDetector"/>).
/// </summary>
public sealed class FasterRcnnDetector : RcnnDetector
{
    internal const string LoaderSignature = "FasterRcnnDetector";
    private const string ModelSignature = "FRCNNDET";

    static FasterRcnnDetector() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(FasterRcnnDetector), Load);

    internal FasterRcnnDetector(IHostEnvironment env, Parts parts)
        : base(env, nameof(FasterRcnnDetector), LoaderSignature, ModelSignature, parts)
    {
    }

    private static object Load(IHostEnvironment env, BinaryReader reader) =>
        new FasterRcnnDetector(env, Read(env, reader, "Faster R-CNN", masks: false));
}
