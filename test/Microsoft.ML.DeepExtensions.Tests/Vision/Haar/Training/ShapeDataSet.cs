using System.Drawing;
using DeepExtensions.Cli.Haar;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Haar.Training;

/// <summary>The generated disk data set of the sample (<see cref="ShapeScenes"/>), in memory, as ML.NET data.</summary>
internal static class ShapeDataSet
{
    public sealed class ImageRow
    {
        [ImageType(1, 1)]
        public MLImage Image { get; set; } = null!;
    }

    /// <summary>Positive windows of random sizes from the window to twice it (the estimator resamples them).</summary>
    public static IDataView Positives(MLContext ml, Random random, int count, int window) =>
        Images(ml, Enumerable.Range(0, count).Select(_ =>
        {
            int size = random.Next(window, 2 * window + 1);
            return (ShapeScenes.Positive(random, size), size, size);
        }));

    public static IDataView Negatives(MLContext ml, Random random, int count, int width, int height) =>
        Images(ml, Enumerable.Range(0, count).Select(_ => (ShapeScenes.Background(random, width, height), width, height)));

    public static List<GrayScene> Scenes(Random random, int count, int width, int height, int minBox, int maxBox) =>
        Enumerable.Range(0, count).Select(_ => ShapeScenes.Scene(random, width, height, random.Next(1, 4), minBox, maxBox)).ToList();

    public static IDataView Images(MLContext ml, IEnumerable<(byte[] Gray, int Width, int Height)> images) =>
        ml.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = ToMLImage(i.Gray, i.Width, i.Height) }).ToList());

    /// <summary>Gray as BGRA with B = G = R, which converts back to the same gray.</summary>
    public static MLImage ToMLImage(byte[] gray, int width, int height)
    {
        var bgra = new byte[gray.Length * 4];
        for (int i = 0; i < gray.Length; i++)
        {
            bgra[4 * i] = bgra[4 * i + 1] = bgra[4 * i + 2] = gray[i];
            bgra[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
    }
}
