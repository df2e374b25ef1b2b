using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.DeepExtensions.Persistence;
using Microsoft.ML.DeepExtensions.Scoring;
using Microsoft.ML.DeepExtensions.Vision.Detection.Boxes;
using Microsoft.ML.DeepExtensions.Vision.Detection.Onnx;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.DeepExtensions.Vision.Segmentation;

/// <summary>
/// Labels every pixel of an image with a torchvision semantic segmentation model (FCN, DeepLabV3, LRASPP) exported to
/// ONNX, scored by ONNX Runtime on the CPU or CUDA.
/// </summary>
/// <remarks>
/// <para>Each image is turned into the model's input as torchvision's presets do (RGB / 255, minus the mean, over the
/// standard deviation, NCHW). A model whose height and width are dynamic gets the image at its own size; a model with a
/// fixed size gets the image resized to it (bilinear) and its logits are resized back to the image's size (bilinear,
/// half-pixel centres, as <c>F.interpolate(align_corners=False)</c>). The class of a pixel is the arg-max of its logits
/// (the first class on ties, as <c>argmax</c>); probabilities are their softmax.</para>
/// <para>Output columns: <c>PredictedClassMap</c>, a vector of keys over the class names (key <c>k</c> is class
/// <c>k - 1</c>), row-major over the image's width × height; optionally the probability planes. Memory stays flat over
/// any number of rows: buffers are reused and rows are scored a batch at a time.</para>
/// </remarks>
public sealed partial class SemanticSegmenter : ITransformer, ICanSaveModel, IDisposable
{
    /// <summary>The default class map column name.</summary>
    public const string DefaultClassMapColumnName = "PredictedClassMap";

    internal const string LoaderSignature = "SemanticSegmenter";
    private const string ModelSignature = "SEMSEGOX";
    private const uint FormatVersion = 1;

    private readonly IHost _host;
    private readonly OnnxDetectorSession _session;
    private readonly string _inputName, _outputName;
    private readonly int[] _outputDimensions; // [B, classes, H, W], -1 where dynamic
    private readonly int _fixedWidth, _fixedHeight; // 0 when dynamic
    private readonly bool _dynamicBatch;
    private readonly float[] _mean, _std;
    private readonly PixelNormalization _normalization;
    private readonly string[] _classNames;
    private readonly ComputeDevice _devicePreference;
    private readonly int? _cudaDeviceIndex;
    private readonly ConcurrentBag<Scorer> _scorers = new();

    static SemanticSegmenter() => DeepExtensionsRegistration.AddLoader(LoaderSignature, typeof(SemanticSegmenter), Load);

    private SemanticSegmenter(IHostEnvironment env, OnnxDetectorSession session, SemanticSegmentationKind kind, string imageColumn, string classMapColumn,
        string? probabilitiesColumn, string[] classNames, float[] mean, float[] std, int batchSize, ComputeDevice device, int? cudaIndex)
    {
        _host = env.Register(nameof(SemanticSegmenter));
        _session = session;
        Kind = kind;
        ImageColumnName = imageColumn;
        ClassMapColumnName = classMapColumn;
        ProbabilitiesColumnName = probabilitiesColumn;
        _classNames = classNames;
        _mean = mean;
        _std = std;
        _normalization = PixelNormalization.MeanStd(mean, std);
        BatchSize = batchSize;
        _devicePreference = device;
        _cudaDeviceIndex = cudaIndex;
        var (input, output) = Bind(session);
        _inputName = input.Name;
        _outputName = output.Name;
        _outputDimensions = output.Node.Dimensions.ToArray();
        var dims = input.Node.Dimensions;
        _dynamicBatch = dims[0] < 0;
        (_fixedHeight, _fixedWidth) = dims[2] > 0 && dims[3] > 0 ? (dims[2], dims[3]) : (0, 0);
    }

    /// <summary>The model family.</summary>
    public SemanticSegmentationKind Kind { get; }

    public string ImageColumnName { get; }

    public string ClassMapColumnName { get; }

    public string? ProbabilitiesColumnName { get; }

    /// <summary>Class names in class-index order.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Images per batch in <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>Where ONNX Runtime scores: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device => _session.Device;

    /// <summary>The model's fixed input size (width, height), or null when it takes any size.</summary>
    public (int Width, int Height)? InputSize => _fixedWidth > 0 ? (_fixedWidth, _fixedHeight) : null;

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>Opens the ONNX model of <paramref name="options"/> and checks its layout and class names.</summary>
    /// <exception cref="FileNotFoundException">The model or class names file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model, or its class count and names disagree.</exception>
    /// <exception cref="InvalidOperationException">The model is not a semantic segmentation export (the message says what it looks like), or has no class names.</exception>
    public static SemanticSegmenter Create(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        using var channel = env.Register(nameof(SemanticSegmenter)).Start("Open");
        var session = OnnxDetectorSession.Open(options.ModelPath, options.Device, options.CudaDeviceIndex, env, channel);
        try
        {
            var (_, output) = Bind(session);
            int? classCount = output.Node.Dimensions[1] > 0 ? output.Node.Dimensions[1] : null;
            string[] names = options.ClassNames is null && options.ClassNamesFile is null && !session.Metadata.ContainsKey(ModelClassNames.MetadataKey)
                && classCount == VocClassNames.All.Count
                ? VocClassNames.All.ToArray()
                : ModelClassNames.Resolve(options.ClassNames, options.ClassNamesFile, session.Metadata, session.ModelName, classCount, "classes");
            return new SemanticSegmenter(env, session, options.Kind, options.ImageColumnName, options.ClassMapColumnName, options.ProbabilitiesColumnName,
                names, options.Mean.ToArray(), options.StandardDeviation.ToArray(), options.BatchSize, options.Device, options.CudaDeviceIndex);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The image input and the class logits output, or an error saying what the model looks like instead.</summary>
    private static ((string Name, NodeMetadata Node) Input, (string Name, NodeMetadata Node) Output) Bind(OnnxDetectorSession session)
    {
        var layout = session.Layout;
        static bool Rank4(NodeMetadata node) => node.IsTensor && node.Dimensions.Length == 4;
        var outputs = layout.Outputs.Where(o => Rank4(o.Node)).ToArray();
        // torchvision's exports name it "out" (and "aux" for the auxiliary head); otherwise the only rank-4 output.
        var output = outputs.FirstOrDefault(o => o.Name == "out");
        if (output.Name is null && outputs.Length == 1 && layout.Outputs.Count == 1)
            output = outputs[0];
        bool imageInput = layout.Inputs.Count == 1 && Rank4(layout.Inputs[0].Node) && layout.Inputs[0].Node.Dimensions[1] is 3 or -1;
        if (!imageInput || output.Name is null || layout.Guess is not null)
        {
            string looks = layout.Guess is not null ? layout.DescribeGuess() : "it has no such input and output";
            throw new InvalidOperationException(
                $"Model '{session.ModelName}' does not have the semantic segmentation layout (one image input [B,3,H,W]; output 'out' [B, classes, H, W], as torchvision's FCN, DeepLabV3 and LRASPP export): {looks}. Its {layout.Describe()}." +
                (layout.Guess is { } kind ? $" Use it as an object detector ({OnnxModelLayout.Name(kind)}) instead." : ""));
        }
        return (layout.Inputs[0], output);
    }

    /// <summary>Labels the pixels of one image, outside any pipeline.</summary>
    public ClassMap Segment(MLImage image) => Segment(new[] { image ?? throw new ArgumentNullException(nameof(image)) })[0];

    /// <summary>Labels the pixels of several images.</summary>
    public IReadOnlyList<ClassMap> Segment(IReadOnlyList<MLImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scorer = new Scorer(this, ProbabilitiesColumnName is not null);
        var results = new ClassMap[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentNullException(nameof(images), $"Image {i} is null.");
            if (image.Width <= 0 || image.Height <= 0)
                throw new ArgumentException($"Images must be at least 1x1 pixel, got {image.Width}x{image.Height} (image {i}).", nameof(images));
        }
        scorer.Score(images, results);
        return results;
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckImageColumn(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        AddColumns(builder);
        return builder.ToSchema();
    }

    internal void AddColumns(DataViewSchema.Builder builder)
    {
        var keyValues = new DataViewSchema.Annotations.Builder();
        KeyValues.Text(_classNames).AddTo(keyValues, AnnotationNames.KeyValues);
        builder.AddColumn(ClassMapColumnName, new VectorDataViewType(new KeyDataViewType(typeof(uint), _classNames.Length)), keyValues.ToAnnotations());
        if (ProbabilitiesColumnName is not null)
            builder.AddColumn(ProbabilitiesColumnName, new VectorDataViewType(NumberDataViewType.Single));
    }

    internal void CheckImageColumn(DataViewSchema schema) => ImageColumns.Check(schema, ImageColumnName);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, GetOutputSchema(input.Schema), new[] { ImageColumnName }, CreateBatch, BatchSize);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new BatchedRowMapper(inputSchema, GetOutputSchema(inputSchema), new[] { ImageColumnName }, CreateBatch);

    private SegmentationRowBatch CreateBatch(DataViewRow row, int capacity)
    {
        // Scorers (network input, logits, class maps: ~110 MB for 4 images of a 520x520 model) go back to a pool when a cursor is
        // done, so that the next cursor reuses them instead of allocating its own.
        var scorer = _scorers.TryTake(out var pooled) ? pooled : new Scorer(this, ProbabilitiesColumnName is not null, reuseMaps: true);
        return new(this, row, capacity, scorer);
    }

    /// <summary>The host registered for this transformer; its channels write to the MLContext's log.</summary>
    internal IHost Host => _host;

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        ModelPersistence.Save(ctx, LoaderSignature, ModelSignature, FormatVersion, writer =>
        {
            writer.Write((int)Kind);
            writer.Write(ImageColumnName);
            writer.Write(ClassMapColumnName);
            writer.Write(ProbabilitiesColumnName ?? "");
            writer.Write(BatchSize);
            writer.Write(_classNames.Length);
            foreach (var name in _classNames)
                writer.Write(name);
            foreach (float v in _mean.Concat(_std))
                writer.Write(v);
            OnnxModelSettings.Write(writer, _session, _devicePreference, _cudaDeviceIndex);
        });

    private static object Load(IHostEnvironment env, BinaryReader reader)
    {
        var kind = (SemanticSegmentationKind)reader.ReadInt32();
        string image = reader.ReadString(), classMap = reader.ReadString(), probabilities = reader.ReadString();
        int batchSize = reader.ReadInt32(), count = reader.ReadInt32();
        if (!Enum.IsDefined(kind) || batchSize <= 0 || count is <= 0 or > 100_000)
            throw new InvalidDataException($"Corrupt semantic segmentation model: kind {(int)kind}, batch size {batchSize}, {count} classes.");
        var names = new string[count];
        for (int i = 0; i < count; i++)
            names[i] = reader.ReadString();
        var mean = new float[3];
        var std = new float[3];
        for (int i = 0; i < 3; i++)
            mean[i] = reader.ReadSingle();
        for (int i = 0; i < 3; i++)
            std[i] = reader.ReadSingle();
        var (modelName, device, cudaIndex, bytes) = OnnxModelSettings.Read(reader);
        using var channel = env.Register(nameof(SemanticSegmenter)).Start("Load");
        // A model saved on a GPU machine must still load on one without: Cuda becomes Auto.
        var session = OnnxDetectorSession.Open(bytes, modelName, device == ComputeDevice.Cpu ? ComputeDevice.Cpu : ComputeDevice.Auto, cudaIndex, env, channel);
        try
        {
            return new SemanticSegmenter(env, session, kind, image, classMap, probabilities.Length == 0 ? null : probabilities, names, mean, std, batchSize, device, cudaIndex);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Takes back the scorer of a row batch that is done, for the next one.</summary>
    internal void Return(Scorer scorer)
    {
        scorer.Release();
        _scorers.Add(scorer);
    }

    public void Dispose()
    {
        while (_scorers.TryTake(out var scorer))
            scorer.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// One scoring context's reusable buffers: the network input and the logits, then the class maps. A model with a
    /// fixed input size is given up to <see cref="BatchSize"/> images per call; a dynamic one, each image at its own size.
    /// Scoring is split into <see cref="Prepare"/> (images into the input), <see cref="Run"/> (ONNX Runtime) and
    /// <see cref="Finish"/> (logits into class maps), so that a row batch can run the model of one batch while it prepares
    /// the next and finishes the previous one.
    /// </summary>
    internal sealed class Scorer : IDisposable
    {
        private readonly SemanticSegmenter _owner;
        private readonly bool _probabilities;
        private readonly bool _reuseMaps;
        private readonly RunOptions _runOptions = new();
        private readonly List<int[]> _maps = new();
        private readonly ImageTensorWriter _writer = new();
        private float[] _input = Array.Empty<float>();
        private IReadOnlyList<MLImage> _images = Array.Empty<MLImage>();
        private float[] _output = Array.Empty<float>();
        private OrtValue? _logits;
        private IDisposable? _logitsOwner;
        private bool _oneCall;
        private int _slots, _width, _height;
        private float[] _upper = Array.Empty<float>(), _lower = Array.Empty<float>(), _value = Array.Empty<float>(), _best = Array.Empty<float>(), _bestClass = Array.Empty<float>();
        private float[] _logitClass = Array.Empty<float>();
        private readonly BilinearSampleCache _columnSamples = new(), _rowSamples = new();

        /// <param name="owner">The segmenter.</param>
        /// <param name="probabilities">Whether to make the probability planes.</param>
        /// <param name="reuseMaps">Whether the class map arrays are reused from call to call (for a row batch, whose getters copy
        /// them out before the next call), so that a long run allocates no new large arrays.</param>
        public Scorer(SemanticSegmenter owner, bool probabilities, bool reuseMaps = false)
        {
            _owner = owner;
            _probabilities = probabilities;
            _reuseMaps = reuseMaps;
        }

        /// <summary>Labels the pixels of <paramref name="images"/> into <paramref name="results"/>: <see cref="Prepare"/>, <see cref="Run"/>, <see cref="Finish"/>.</summary>
        public void Score(IReadOnlyList<MLImage> images, ClassMap[] results)
        {
            Prepare(images);
            Run(results);
            Finish(results);
        }

        /// <summary>
        /// Writes the network input of <paramref name="images"/> when one model call takes them all (a fixed input size, at
        /// most a call's batch); otherwise keeps them for <see cref="Run"/>, which then writes, runs and maps call by call.
        /// </summary>
        public void Prepare(IReadOnlyList<MLImage> images)
        {
            _images = images;
            _oneCall = _owner._fixedWidth > 0 && images.Count <= PerCall;
            if (_oneCall)
                WriteInput(0, images.Count);
        }

        /// <summary>The model: on the input <see cref="Prepare"/> wrote, keeping the logits for <see cref="Finish"/>; or every call of a larger batch.</summary>
        public void Run(ClassMap[] results)
        {
            if (_oneCall)
            {
                (_logits, _logitsOwner) = RunModel();
                return;
            }
            for (int start = 0; start < _images.Count; start += PerCall)
            {
                int count = Math.Min(PerCall, _images.Count - start);
                WriteInput(start, count);
                var (logits, owner) = RunModel();
                using (owner)
                    ToClassMaps(logits, start, count, results);
            }
        }

        /// <summary>The logits <see cref="Run"/> kept (one call's) as class maps at each image's own size.</summary>
        public void Finish(ClassMap[] results)
        {
            if (_logits is not { } logits)
                return;
            try
            {
                ToClassMaps(logits, 0, _images.Count, results);
            }
            finally
            {
                ReleaseLogits();
            }
        }

        public void Dispose()
        {
            Release();
            _runOptions.Dispose();
        }

        /// <summary>Lets go of the last batch's images and logits; the buffers stay for the next batch.</summary>
        public void Release()
        {
            ReleaseLogits();
            _images = Array.Empty<MLImage>();
        }

        private void ReleaseLogits()
        {
            _logitsOwner?.Dispose();
            (_logits, _logitsOwner) = (null, null);
        }

        /// <summary>Images per model call: the batch size for a fixed-size model with a dynamic batch axis, the model's own
        /// batch for a fixed batch, and 1 for a model that takes each image at its own size.</summary>
        private int PerCall => _owner._fixedWidth > 0 ? (_owner._dynamicBatch ? _owner.BatchSize : Math.Max(1, _owner._session.Layout.Inputs[0].Node.Dimensions[0])) : 1;

        /// <summary>Images <c>[start, start + count)</c> into the network input; a fixed batch's unused slots are zeros.</summary>
        private void WriteInput(int start, int count)
        {
            var o = _owner;
            _slots = o._fixedWidth > 0 && !o._dynamicBatch ? PerCall : count;
            _width = o._fixedWidth > 0 ? o._fixedWidth : _images[start].Width;
            _height = o._fixedWidth > 0 ? o._fixedHeight : _images[start].Height;
            int plane = _width * _height;
            if (_input.Length < _slots * 3 * plane)
                _input = new float[_slots * 3 * plane];
            for (int i = 0; i < count; i++)
                Write(_images[start + i], _input.AsSpan(i * 3 * plane, 3 * plane), _width, _height);
            _input.AsSpan(count * 3 * plane, (_slots - count) * 3 * plane).Clear();
        }

        /// <summary>
        /// One ONNX Runtime call on the input <see cref="WriteInput"/> wrote: the logits and what to dispose when done with them.
        /// When the model declares the output's size, ONNX Runtime writes into this scorer's own array, reused call after
        /// call, rather than into a new buffer of its arena (the logits are large: 4 images × 21 classes × 520 × 520 floats are 91 MB).
        /// </summary>
        private (OrtValue Logits, IDisposable Owner) RunModel()
        {
            var o = _owner;
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, _slots * 3 * _width * _height),
                new long[] { _slots, 3, _height, _width });
            var dims = o._outputDimensions;
            if (o._fixedWidth > 0 && dims.Length == 4 && dims[1] > 0 && dims[2] > 0 && dims[3] > 0)
            {
                long[] shape = { _slots, dims[1], dims[2], dims[3] };
                CheckClasses(shape);
                int size = checked(_slots * dims[1] * dims[2] * dims[3]);
                if (_output.Length < size)
                    _output = new float[size];
                var logits = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, size), shape);
                try
                {
                    o._session.Session.Run(_runOptions, new[] { o._inputName }, new[] { input }, new[] { o._outputName }, new[] { logits });
                }
                catch
                {
                    logits.Dispose();
                    throw;
                }
                return (logits, logits);
            }
            var outputs = o._session.Session.Run(_runOptions, new[] { o._inputName }, new[] { input }, new[] { o._outputName });
            try
            {
                CheckClasses(outputs[0].GetTensorTypeAndShape().Shape);
            }
            catch
            {
                outputs.Dispose();
                throw;
            }
            return (outputs[0], outputs);
        }

        private void CheckClasses(long[] shape)
        {
            var o = _owner;
            if (shape.Length != 4 || shape[1] != o._classNames.Length)
                throw new InvalidDataException($"Model '{o._session.ModelName}' returned '{o._outputName}' of shape [{string.Join(",", shape)}], but it has {o._classNames.Length} class names: the names must list every class the model predicts, in order.");
        }

        /// <summary>The class maps of images <c>[start, start + count)</c> from their logits (<c>[N, classes, H, W]</c>, image <c>start</c> first).</summary>
        private void ToClassMaps(OrtValue logitsValue, int start, int count, ClassMap[] results)
        {
            var shape = logitsValue.GetTensorTypeAndShape().Shape;
            int classes = (int)shape[1], outHeight = (int)shape[2], outWidth = (int)shape[3], size = classes * outHeight * outWidth;
            var logits = logitsValue.GetTensorDataAsSpan<float>();
            for (int i = 0; i < count; i++)
            {
                var image = _images[start + i];
                results[start + i] = ToClassMap(logits.Slice(i * size, size), classes, outWidth, outHeight, image.Width, image.Height, start + i);
            }
        }

        /// <summary>The image as the network input (resized when the model's size differs), normalized, planar RGB, in one pass.</summary>
        private void Write(MLImage image, Span<float> destination, int width, int height) =>
            _writer.Write(image, ImageResizeMapping.Stretch(image.Width, image.Height, width, height), _owner._normalization, 0, destination);

        /// <summary>
        /// Arg-max (and softmax) of the logits at each pixel of the image, bilinearly resized when their size differs. The
        /// resize is done as upsample_bilinear2d rounds it, <c>h0·(w0·a + w1·b) + h1·(w0·c + w1·d)</c>: each logit row the
        /// image rows read is first interpolated along x (once, and reused by the next image row), then each image row is
        /// the weighted sum of two such rows; the arg-max runs over whole rows with SIMD.
        /// </summary>
        private ClassMap ToClassMap(ReadOnlySpan<float> logits, int classes, int logitWidth, int logitHeight, int width, int height, int slot)
        {
            if (!_probabilities && (logitWidth != width || logitHeight != height))
                return ToClassMapByCorners(logits, classes, logitWidth, logitHeight, width, height, slot);
            var memory = _reuseMaps ? Pooled(slot, width * height) : new int[width * height];
            var map = memory.Span;
            var probabilities = _probabilities ? new float[classes * width * height] : null;
            int logitPlane = logitWidth * logitHeight, plane = width * height;
            bool same = logitWidth == width && logitHeight == height;
            var columns = same ? null : _columnSamples.For(logitWidth, width);
            var rows = same ? null : _rowSamples.For(logitHeight, height);
            Grow(ref _upper, classes * width);
            Grow(ref _lower, classes * width);
            Grow(ref _value, width);
            Grow(ref _best, width);
            Grow(ref _bestClass, width);
            int upperRow = -1, lowerRow = -1;
            for (int y = 0; y < height; y++)
            {
                float wy = 0;
                if (same)
                {
                    upperRow = y;
                }
                else
                {
                    var r = rows![y];
                    wy = r.Weight;
                    // Interpolate along x the two logit rows this image row reads (swapping when the next row moves on by one).
                    if (r.First != upperRow)
                    {
                        if (r.First == lowerRow)
                            (_upper, _lower, upperRow, lowerRow) = (_lower, _upper, lowerRow, upperRow);
                        else
                            Horizontal(logits, r.First, classes, logitWidth, logitPlane, columns!, _upper.AsSpan(0, classes * width), width);
                        upperRow = r.First;
                    }
                    if (r.Second != lowerRow)
                    {
                        Horizontal(logits, r.Second, classes, logitWidth, logitPlane, columns!, _lower.AsSpan(0, classes * width), width);
                        lowerRow = r.Second;
                    }
                }
                var best = _best.AsSpan(0, width);
                var bestClass = _bestClass.AsSpan(0, width);
                var value = _value.AsSpan(0, width);
                for (int c = 0; c < classes; c++)
                {
                    if (same)
                        logits.Slice(c * logitPlane + y * logitWidth, width).CopyTo(value);
                    else
                        Blend(_upper.AsSpan(c * width, width), _lower.AsSpan(c * width, width), 1 - wy, wy, value);
                    if (c == 0)
                    {
                        value.CopyTo(best);
                        bestClass.Clear();
                    }
                    else
                    {
                        ArgMaxStep(value, best, bestClass, c);
                    }
                    if (probabilities is not null)
                        value.CopyTo(probabilities.AsSpan(c * plane + y * width, width));
                }
                for (int x = 0; x < width; x++)
                    map[y * width + x] = (int)bestClass[x];
                if (probabilities is not null)
                    Softmax(probabilities, classes, plane, y * width, width, best);
            }
            return new ClassMap(width, height, classes, memory, probabilities);
        }

        /// <summary>
        /// The class map alone (no probabilities) of logits of another size than the image, with the work only where it
        /// decides anything. A bilinear value is a convex combination of the four logit pixels around it, so where one class
        /// is the arg-max (the first on ties) at all four, it is the arg-max of the interpolated logits too: those pixels
        /// take it from the arg-max map at the logits' own resolution (SIMD over logit rows). The others, along class borders,
        /// get every class interpolated as <see cref="ToClassMap"/> computes it, <c>h0·(w0·a + w1·b) + h1·(w0·c + w1·d)</c>.
        /// </summary>
        private ClassMap ToClassMapByCorners(ReadOnlySpan<float> logits, int classes, int logitWidth, int logitHeight, int width, int height, int slot)
        {
            var memory = _reuseMaps ? Pooled(slot, width * height) : new int[width * height];
            var map = memory.Span;
            int logitPlane = logitWidth * logitHeight;
            Grow(ref _logitClass, logitPlane);
            Grow(ref _best, logitWidth);
            var best = _best.AsSpan(0, logitWidth);
            for (int y = 0; y < logitHeight; y++)
            {
                var bestClass = _logitClass.AsSpan(y * logitWidth, logitWidth);
                logits.Slice(y * logitWidth, logitWidth).CopyTo(best);
                bestClass.Clear();
                for (int c = 1; c < classes; c++)
                    ArgMaxStep(logits.Slice(c * logitPlane + y * logitWidth, logitWidth), best, bestClass, c);
            }
            var columns = _columnSamples.For(logitWidth, width);
            var rows = _rowSamples.For(logitHeight, height);
            var classOf = _logitClass;
            for (int y = 0; y < height; y++)
            {
                var (r0, r1, wy) = rows[y];
                int upper = r0 * logitWidth, lower = r1 * logitWidth;
                for (int x = 0; x < width; x++)
                {
                    var (c0, c1, wx) = columns[x];
                    float k = classOf[upper + c0];
                    if (classOf[upper + c1] == k && classOf[lower + c0] == k && classOf[lower + c1] == k)
                    {
                        map[y * width + x] = (int)k;
                        continue;
                    }
                    float h0 = 1 - wy, w0 = 1 - wx;
                    float bestValue = float.NegativeInfinity;
                    int bestIndex = 0;
                    for (int c = 0; c < classes; c++)
                    {
                        int at = c * logitPlane;
                        float a = w0 * logits[at + upper + c0] + wx * logits[at + upper + c1];
                        float b = w0 * logits[at + lower + c0] + wx * logits[at + lower + c1];
                        float value = h0 * a + wy * b;
                        if (c == 0 || value > bestValue)
                        {
                            bestValue = value;
                            bestIndex = c;
                        }
                    }
                    map[y * width + x] = bestIndex;
                }
            }
            return new ClassMap(width, height, classes, memory, null);
        }

        /// <summary>Logit row <paramref name="row"/> of every class interpolated along x: <c>w0·a + w1·b</c>.</summary>
        private static void Horizontal(ReadOnlySpan<float> logits, int row, int classes, int logitWidth, int logitPlane, BilinearSample[] columns, Span<float> destination, int width)
        {
            for (int c = 0; c < classes; c++)
            {
                var source = logits.Slice(c * logitPlane + row * logitWidth, logitWidth);
                var target = destination.Slice(c * width, width);
                for (int x = 0; x < width; x++)
                {
                    var s = columns[x];
                    target[x] = (1 - s.Weight) * source[s.First] + s.Weight * source[s.Second];
                }
            }
        }

        /// <summary><c>destination = a·wa + b·wb</c>, element-wise (SIMD).</summary>
        private static void Blend(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float wa, float wb, Span<float> destination)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var va = MemoryMarshal.Cast<float, Vector<float>>(a);
                var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
                var vd = MemoryMarshal.Cast<float, Vector<float>>(destination);
                for (int v = 0; v < vd.Length; v++)
                    vd[v] = wa * va[v] + wb * vb[v];
                i = vd.Length * Vector<float>.Count;
            }
            for (; i < destination.Length; i++)
                destination[i] = wa * a[i] + wb * b[i];
        }

        /// <summary>Where <paramref name="value"/> beats <paramref name="best"/> strictly (the first class wins ties, as argmax), class <paramref name="c"/> takes over.</summary>
        private static void ArgMaxStep(ReadOnlySpan<float> value, Span<float> best, Span<float> bestClass, int c)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vv = MemoryMarshal.Cast<float, Vector<float>>(value);
                var vb = MemoryMarshal.Cast<float, Vector<float>>(best);
                var vc = MemoryMarshal.Cast<float, Vector<float>>(bestClass);
                var index = new Vector<float>(c);
                for (int v = 0; v < vb.Length; v++)
                {
                    var greater = Vector.GreaterThan(vv[v], vb[v]);
                    vb[v] = Vector.ConditionalSelect(greater, vv[v], vb[v]);
                    vc[v] = Vector.ConditionalSelect(greater, index, vc[v]);
                }
                i = vb.Length * Vector<float>.Count;
            }
            for (; i < best.Length; i++)
            {
                if (value[i] > best[i])
                {
                    best[i] = value[i];
                    bestClass[i] = c;
                }
            }
        }

        /// <summary>Turns the logits of one image row (one span per class plane) into probabilities, given each pixel's maximum.</summary>
        private static void Softmax(float[] planes, int classes, int plane, int offset, int width, ReadOnlySpan<float> max)
        {
            for (int x = 0; x < width; x++)
            {
                float sum = 0;
                for (int c = 0; c < classes; c++)
                {
                    ref float p = ref planes[c * plane + offset + x];
                    p = MathF.Exp(p - max[x]);
                    sum += p;
                }
                for (int c = 0; c < classes; c++)
                    planes[c * plane + offset + x] /= sum;
            }
        }

        private static void Grow(ref float[] buffer, int length)
        {
            if (buffer.Length < length)
                buffer = new float[length];
        }

        /// <summary>The class map array of batch slot <paramref name="slot"/>, reused image after image (a row batch copies it out).</summary>
        private Memory<int> Pooled(int slot, int length)
        {
            while (_maps.Count <= slot)
                _maps.Add(Array.Empty<int>());
            // Grown to the largest image seen, never shrunk: photos of mixed sizes then reuse one array per slot.
            if (_maps[slot].Length < length)
                _maps[slot] = new int[length];
            return _maps[slot].AsMemory(0, length);
        }
    }
}
