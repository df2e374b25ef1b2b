using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// The per-channel normalization a network's weights expect of its input pixels (in [0, 1]):
/// <c>x' = (x - mean[c]) / std[c]</c>. Stored with the model, so training and scoring apply the same one,
/// e.g. <see cref="ImageNet"/> for torchvision's pretrained weights.
/// </summary>
public sealed class ImageNormalization
{
    /// <param name="mean">One mean per channel.</param>
    /// <param name="standardDeviation">One standard deviation per channel, each positive.</param>
    /// <exception cref="ArgumentException">The arrays are empty, of different lengths, not finite, or a deviation is not positive.</exception>
    public ImageNormalization(IReadOnlyList<float> mean, IReadOnlyList<float> standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(standardDeviation);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
            throw new ArgumentException($"Normalization needs one mean and one standard deviation per channel, got {mean.Count} and {standardDeviation.Count}.", nameof(standardDeviation));
        if (mean.Any(m => !float.IsFinite(m)) || standardDeviation.Any(s => !float.IsFinite(s) || s <= 0))
            throw new ArgumentException($"Normalization needs finite means and positive standard deviations, got mean [{Format(mean)}], std [{Format(standardDeviation)}].", nameof(standardDeviation));
        Mean = mean.ToArray();
        StandardDeviation = standardDeviation.ToArray();
    }

    /// <summary>
    /// ImageNet's RGB statistics, which torchvision's pretrained classifiers expect:
    /// mean (0.485, 0.456, 0.406), standard deviation (0.229, 0.224, 0.225).
    /// </summary>
    public static ImageNormalization ImageNet { get; } = new(new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>The mean of each channel.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>The standard deviation of each channel.</summary>
    public IReadOnlyList<float> StandardDeviation { get; }

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Count;

    /// <summary>
    /// Parses <c>imagenet</c>, <c>none</c> (null), or <c>MEAN,...;STD,...</c> (one value per channel, invariant culture).
    /// </summary>
    /// <exception cref="ArgumentException">The text is none of them.</exception>
    public static ImageNormalization? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case "imagenet": return ImageNet;
            case "none": return null;
        }
        var parts = text.Split(';');
        if (parts.Length == 2)
        {
            try
            {
                return new ImageNormalization(Numbers(parts[0]), Numbers(parts[1]));
            }
            catch (FormatException)
            {
            }
        }
        throw new ArgumentException($"Normalization must be 'imagenet', 'none' or 'MEAN,...;STD,...' (e.g. 0.5,0.5,0.5;0.25,0.25,0.25), got '{text}'.", nameof(text));
    }

    /// <summary>The module <c>(x - mean) / std</c> over <c>[N, C, H, W]</c> batches; mean and std are buffers that move with it, not weights.</summary>
    internal nn.Module<Tensor, Tensor> CreateModule() => new NormalizationModule(this);

    internal void Write(BinaryWriter writer)
    {
        writer.Write(Channels);
        foreach (var m in Mean)
            writer.Write(m);
        foreach (var s in StandardDeviation)
            writer.Write(s);
    }

    internal static ImageNormalization Read(BinaryReader reader)
    {
        int channels = reader.ReadInt32();
        if (channels is < 1 or > 64)
            throw new InvalidDataException($"Corrupt image normalization: {channels} channels.");
        var mean = Enumerable.Range(0, channels).Select(_ => reader.ReadSingle()).ToArray();
        var std = Enumerable.Range(0, channels).Select(_ => reader.ReadSingle()).ToArray();
        return new ImageNormalization(mean, std);
    }

    public override string ToString() => ReferenceEquals(this, ImageNet) || (Mean.SequenceEqual(ImageNet.Mean) && StandardDeviation.SequenceEqual(ImageNet.StandardDeviation))
        ? "ImageNet mean/std"
        : $"mean [{Format(Mean)}], std [{Format(StandardDeviation)}]";

    private static string Format(IEnumerable<float> values) => string.Join(", ", values.Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));

    private static float[] Numbers(string text) =>
        text.Split(',').Select(v => float.Parse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Subtracts the mean and divides by the deviation, channel by channel; no weights, nothing in the state dictionary.</summary>
    private sealed class NormalizationModule : nn.Module<Tensor, Tensor>
    {
        private readonly Tensor _mean;
        private readonly Tensor _std;

        public NormalizationModule(ImageNormalization normalization)
            : base("ImageNormalization")
        {
            _mean = torch.tensor(normalization.Mean.ToArray()).view(1, -1, 1, 1).DetachFromDisposeScope();
            _std = torch.tensor(normalization.StandardDeviation.ToArray()).view(1, -1, 1, 1).DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor input)
        {
            // Three numbers per channel: copied to the input's device when it is another one (a GPU) rather than tracked as buffers.
            var mean = _mean.device == input.device ? _mean : _mean.to(input.device);
            var std = _std.device == input.device ? _std : _std.to(input.device);
            return (input - mean).div_(std);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _mean.Dispose();
                _std.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
