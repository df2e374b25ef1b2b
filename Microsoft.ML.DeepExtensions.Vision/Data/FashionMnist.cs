namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// Facts about Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017, arXiv:1708.07747): 70,000 grey
/// 28×28 images of clothing in 10 classes, 60,000 for training and 10,000 for testing, in the same
/// IDX files as MNIST. On Debian the package <c>dataset-fashion-mnist</c> installs them in
/// <see cref="DebianDirectory"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four IDX .gz files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The class names in label order: label 0 is <c>T-shirt/top</c>, ..., label 9 is <c>Ankle boot</c>.
    /// Pass them as <c>classNames</c> to <see cref="ImageDataCatalog.LoadIdx"/> to get names instead of digits in <c>Label</c>.
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });
}
