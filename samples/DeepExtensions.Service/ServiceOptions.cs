using Microsoft.ML.DeepExtensions.Vision.Imaging;

namespace DeepExtensions.Service;

/// <summary>
/// The service's settings, section <c>Service</c> of the configuration: <c>appsettings.json</c>, environment
/// variables (<c>Service__ModelPath=...</c>) or the command line (<c>--model</c>, <c>--pool-size</c>,
/// <c>--max-request-bytes</c>, <c>--max-image-pixels</c>, or <c>--Service:ModelPath=...</c>).
/// </summary>
public sealed class ServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Service";

    /// <summary>The model.zip to serve, loaded once at start-up. Defaults to <c>model.zip</c> in the working folder.</summary>
    public string ModelPath { get; set; } = "model.zip";

    /// <summary>
    /// Prediction engines kept for reuse (one serves one request at a time); 0 means the processor count.
    /// More concurrent requests than this still get an engine, made for them and dropped afterwards. Defaults to 0.
    /// </summary>
    public int PoolSize { get; set; }

    /// <summary>
    /// The largest request body accepted, in bytes; a larger one gets 413. Defaults to 16 MiB (16,777,216).
    /// </summary>
    public long MaxRequestBytes { get; set; } = 16L << 20;

    /// <summary>
    /// The most pixels (width x height) an uploaded image may declare; a larger one gets 413 before any pixel
    /// memory is allocated. Defaults to 40,000,000 (a 40-megapixel photo).
    /// </summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Maps the short command-line switches to the configuration keys.</summary>
    public static IDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>
    {
        ["--model"] = $"{Section}:{nameof(ModelPath)}",
        ["--pool-size"] = $"{Section}:{nameof(PoolSize)}",
        ["--max-request-bytes"] = $"{Section}:{nameof(MaxRequestBytes)}",
        ["--max-image-pixels"] = $"{Section}:{nameof(MaxImagePixels)}",
    };

    /// <summary>The pool size with 0 resolved to the processor count.</summary>
    public int EffectivePoolSize => PoolSize > 0 ? PoolSize : Environment.ProcessorCount;

    /// <summary>Throws when a setting is out of range, naming it and the rule.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new InvalidOperationException($"{Section}:{nameof(ModelPath)} (--model) must name a model.zip.");
        if (PoolSize < 0)
            throw new InvalidOperationException($"{Section}:{nameof(PoolSize)} (--pool-size) must be 0 (the processor count) or positive, got {PoolSize}.");
        if (MaxRequestBytes <= 0)
            throw new InvalidOperationException($"{Section}:{nameof(MaxRequestBytes)} (--max-request-bytes) must be positive, got {MaxRequestBytes}.");
        if (MaxImagePixels <= 0 || MaxImagePixels > ImageFile.DefaultMaxPixels)
            throw new InvalidOperationException($"{Section}:{nameof(MaxImagePixels)} (--max-image-pixels) must be in [1, {ImageFile.DefaultMaxPixels}], got {MaxImagePixels}.");
    }
}
