using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Tests.Vision.Haar;
using Microsoft.ML.DeepExtensions.Vision.Haar;
using SkiaSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Service;

/// <summary>
/// The models and images the service tests serve, made once per test run in a temporary folder (deleted when
/// the process exits): the README's image classifier (<c>deepext train --task image-classification</c> on the
/// Fashion-MNIST subset, one epoch), the CLI's wine MLP (a CSV model) and a Haar face detector saved by user code
/// behind <c>LoadImages</c>.
/// </summary>
internal static class ServiceModels
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"deepext-service-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return path;
    });

    private static readonly Lazy<string> FashionModel = new(() => Train("fashion.zip",
        "train", "--task", "image-classification", "--data", CliRunner.Sample("fashion-mnist-subset"), "--epochs", "1", "--seed", "3"));

    private static readonly Lazy<string> WineModel = new(() => Train("wine.zip", CliRunner.TrainArgs("multiclass", File("wine-unused.zip"))[..^2]));

    private static readonly Lazy<string> FaceModel = new(SaveFaceDetector);

    /// <summary>A CNN trained by <c>deepext train --task image-classification</c> on IDX pixels (28x28 grey, 10 classes).</summary>
    public static string Fashion => FashionModel.Value;

    /// <summary>An MLP trained by <c>deepext train --task multiclass</c> on the wine CSV (13 numeric columns).</summary>
    public static string Wine => WineModel.Value;

    /// <summary><c>LoadImages("Image", ImagePath)</c> → a Haar face cascade, saved with <c>mlContext.Model.Save</c>.</summary>
    public static string FaceDetector => FaceModel.Value;

    public static string File(string name) => System.IO.Path.Combine(Folder.Value, name);

    /// <summary>A small opaque colour PNG (a gradient with a light rectangle), different for each seed.</summary>
    public static byte[] Png(int width, int height, int seed)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)((y * 7 + seed * 31) % 256), (byte)(seed * 53 % 256)));
        }
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.WhiteSmoke })
            canvas.DrawRect(width / 4f + seed % 5, height / 5f, width / 2f, height / 2f, paint);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static readonly Lazy<string> SmallAstronaut = new(() =>
    {
        using var photo = SKBitmap.Decode(HaarTestData.SkimagePhoto("astronaut.png"));
        using var small = photo.Resize(new SKImageInfo(200, 200, SKColorType.Bgra8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var image = SKImage.FromBitmap(small);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        string path = File("astronaut-200.png");
        System.IO.File.WriteAllBytes(path, data.ToArray());
        return path;
    });

    /// <summary>skimage's astronaut photo (a face) scaled to 200x200, as a PNG.</summary>
    public static string Astronaut => SmallAstronaut.Value;

    private static string Train(string name, params string[] args)
    {
        string path = File(name);
        var result = CliRunner.Run(args.Concat(new[] { "--out", path }).ToArray());
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        return path;
    }

    private static string SaveFaceDetector()
    {
        var ml = new MLContext(seed: 1);
        var paths = ml.Data.LoadFromEnumerable(new[] { new ImagePathRow { ImagePath = Astronaut } });
        var model = ml.Transforms.LoadImages("Image", "", nameof(ImagePathRow.ImagePath))
            .Append(ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions { CascadePath = HaarTestData.Cascade("haarcascade_frontalface_alt2.xml") }))
            .Fit(paths);
        string path = File("faces.zip");
        ml.Model.Save(model, paths.Schema, path);
        return path;
    }

    internal sealed class ImagePathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
