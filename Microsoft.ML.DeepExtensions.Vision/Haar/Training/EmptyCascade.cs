namespace Microsoft.ML.DeepExtensions.Vision.Haar.Training;

/// <summary>
/// The cascade before any stage is trained: it accepts every window the detector evaluates (one
/// stage of a zero stump against a zero threshold), so the detector's own window evaluation can mine
/// the first stage's negatives and compute the normalisation of training windows.
/// </summary>
internal static class EmptyCascade
{
    public static HaarCascade Create(int windowWidth, int windowHeight) =>
        new(windowWidth, windowHeight, [new HaarStage(0f, [HaarTree.Stump(0, 0f, 0f, 0f)])], [new HaarFeature([new HaarRectangle(0, 0, 1, 1, 1f)])]);
}
