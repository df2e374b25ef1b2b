namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// A boosted cascade of Haar-feature classifiers (Viola &amp; Jones), as stored in OpenCV's cascade
/// XML files: a detection window size, the stages in order, and the features the trees refer to.
/// Read with <see cref="Load(string)"/> (OpenCV's current <c>opencv-cascade-classifier</c> format and the
/// old <c>opencv-haar-classifier</c> format), write with <see cref="Save(string)"/> (current format).
/// </summary>
public sealed class HaarCascade
{
    private readonly HaarStage[] _stages;
    private readonly HaarFeature[] _features;

    /// <summary>Creates a cascade and checks that every reference in it is valid.</summary>
    /// <param name="windowWidth">Width of the detection window in pixels.</param>
    /// <param name="windowHeight">Height of the detection window in pixels.</param>
    /// <param name="stages">The stages, evaluated in order.</param>
    /// <param name="features">The features the tree nodes refer to by index.</param>
    public HaarCascade(int windowWidth, int windowHeight, IEnumerable<HaarStage> stages, IEnumerable<HaarFeature> features)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(features);
        // The variance normalisation reads the window less a one-pixel border, so it needs 3x3 at least.
        if (windowWidth < 3 || windowHeight < 3)
            throw new ArgumentException($"The window must be at least 3x3 pixels, got {windowWidth}x{windowHeight}.");
        _stages = stages.ToArray();
        _features = features.ToArray();
        if (_stages.Length == 0)
            throw new ArgumentException("A cascade needs at least one stage.", nameof(stages));
        for (int f = 0; f < _features.Length; f++)
        {
            if (!_features[f].FitsWindow(windowWidth, windowHeight))
                throw new ArgumentException($"Feature {f} reads outside the {windowWidth}x{windowHeight} window.", nameof(features));
        }
        for (int s = 0; s < _stages.Length; s++)
        {
            foreach (var tree in _stages[s].Trees)
            {
                foreach (var node in tree.Nodes)
                {
                    if ((uint)node.FeatureIndex >= (uint)_features.Length)
                        throw new ArgumentException($"Stage {s} refers to feature {node.FeatureIndex}, but the cascade has {_features.Length} features.", nameof(stages));
                }
            }
        }
        WindowWidth = windowWidth;
        WindowHeight = windowHeight;
    }

    /// <summary>Width of the detection window in pixels.</summary>
    public int WindowWidth { get; }

    /// <summary>Height of the detection window in pixels.</summary>
    public int WindowHeight { get; }

    /// <summary>The stages, evaluated in order.</summary>
    public IReadOnlyList<HaarStage> Stages => _stages;

    /// <summary>The features the tree nodes refer to by index.</summary>
    public IReadOnlyList<HaarFeature> Features => _features;

    /// <summary>Whether any feature is tilted (the detector then builds the tilted integral image).</summary>
    public bool HasTiltedFeatures => _features.Any(f => f.Tilted);

    /// <summary>Whether every tree is a stump (one split, two leaves).</summary>
    public bool IsStumpBased => _stages.All(s => s.Trees.All(t => t.IsStump));

    /// <summary>Reads an OpenCV cascade XML file (current or old format).</summary>
    /// <exception cref="InvalidDataException">The file is not a Haar cascade; the message names the file and the element.</exception>
    public static HaarCascade Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Cascade file '{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        return HaarCascadeXmlReader.Read(stream, path);
    }

    /// <summary>Reads an OpenCV cascade XML document (current or old format) from a stream.</summary>
    /// <param name="stream">The XML document.</param>
    /// <param name="sourceName">A name for the document in error messages, e.g. its file name.</param>
    public static HaarCascade Load(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return HaarCascadeXmlReader.Read(stream, sourceName);
    }

    /// <summary>Writes the cascade in OpenCV's current cascade XML format (loadable by <c>cv::CascadeClassifier</c>).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        HaarCascadeXmlWriter.Write(this, stream);
    }

    /// <summary>Writes the cascade in OpenCV's current cascade XML format to a stream.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        HaarCascadeXmlWriter.Write(this, stream);
    }
}
