using System.Buffers;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// How the trained detectors score a batch of images: each letterboxed to the network's square input (aspect ratio
/// kept, bilinear, grey padding, RGB in [0, 1]) exactly as the detection trainers prepared their images, one forward
/// pass without gradients in a dispose scope of its own, and the boxes mapped back to each image's own pixels.
/// </summary>
internal static class LetterboxedDetection
{
    /// <param name="images">The images, any sizes.</param>
    /// <param name="size">The network input's side.</param>
    /// <param name="device">Where the network runs.</param>
    /// <param name="detect">The network's detections of a <c>[N, 3, size, size]</c> batch, in its pixels.</param>
    public static IReadOnlyList<ObjectDetections> Detect(IReadOnlyList<MLImage> images, int size, Device device, Func<Tensor, IReadOnlyList<ObjectDetections>> detect)
    {
        int plane = 3 * size * size;
        var mappings = new ImageResizeMapping[images.Count];
        var input = ArrayPool<float>.Shared.Rent(images.Count * plane);
        try
        {
            for (int i = 0; i < images.Count; i++)
            {
                var image = images[i];
                mappings[i] = ImageResizeMapping.Letterbox(image.Width, image.Height, size, size);
                var destination = input.AsSpan(i * plane, plane);
                if (image.Width == size && image.Height == size)
                {
                    ImageTensorWriter.WriteRgbPlanar(image, destination, 1f / 255f);
                    continue;
                }
                using var letterboxed = mappings[i].Apply(image);
                ImageTensorWriter.WriteRgbPlanar(letterboxed, destination, 1f / 255f);
            }
            IReadOnlyList<ObjectDetections> detections;
            using (var scope = torch.NewDisposeScope())
            using (torch.no_grad())
            {
                var batch = torch.from_array(input).narrow(0, 0, (long)images.Count * plane).view(images.Count, 3, size, size);
                detections = detect(device.type == DeviceType.CPU ? batch : batch.to(device));
            }
            var results = new ObjectDetections[images.Count];
            for (int i = 0; i < images.Count; i++)
            {
                var found = detections[i];
                var boxes = found.Boxes.ToArray();
                mappings[i].BoxesToSource(boxes);
                results[i] = new ObjectDetections(boxes, found.ClassIndices.ToArray(), found.Scores.ToArray());
            }
            return results;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }
}
