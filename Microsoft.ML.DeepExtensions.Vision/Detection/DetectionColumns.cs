using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Internals;
using Microsoft.ML.DeepExtensions.Scoring;

namespace Microsoft.ML.DeepExtensions.Vision.Detection;

/// <summary>
/// The columns an object detector adds, as Microsoft.ML.TorchSharp's object detection names and types them:
/// <list type="bullet">
/// <item><c>PredictedLabel</c>: variable-length vector of keys over the classes (1-based: key <c>k</c> is class
/// index <c>k - 1</c>), with the class names as <c>KeyValues</c>, so <c>MapKeyToValue</c> turns it into names;</item>
/// <item><c>Score</c>: variable-length vector of Single, one score per detection;</item>
/// <item><c>PredictedBoundingBoxes</c>: variable-length vector of Single, x0 y0 x1 y1 per detection in the
/// original image's pixels.</item>
/// </list>
/// All three hold the detections of a row in the same order. A detector that predicts masks (Mask R-CNN) may add a
/// fourth, <c>PredictedMasks</c>: variable-length vector of Byte, each detection's binary mask (1 = object) cropped to
/// its box rounded out to whole pixels (columns <c>floor(x0) .. ceil(x1) - 1</c>, rows <c>floor(y0) .. ceil(y1) - 1</c>),
/// row-major, one after the other in detection order (<c>InstanceMasks.FromColumns</c> splits them). A mask that reaches
/// past its box (YOLO segmentation masks, see <see cref="ObjectDetections.Masks"/>) is cut to the box's rectangle in this column.
/// </summary>
public sealed class DetectionColumns
{
    public const string DefaultPredictedLabelColumnName = "PredictedLabel";
    public const string DefaultScoreColumnName = "Score";
    public const string DefaultPredictedBoundingBoxesColumnName = "PredictedBoundingBoxes";
    public const string DefaultPredictedMasksColumnName = "PredictedMasks";

    private readonly string[] _classNames;

    /// <param name="classNames">Class names in class-index order; at least one, none empty.</param>
    /// <param name="predictedLabelColumnName">Defaults to <c>PredictedLabel</c>.</param>
    /// <param name="scoreColumnName">Defaults to <c>Score</c>.</param>
    /// <param name="predictedBoundingBoxesColumnName">Defaults to <c>PredictedBoundingBoxes</c>.</param>
    /// <param name="predictedMasksColumnName">The masks column, for detectors that predict masks; defaults to null (none).</param>
    public DetectionColumns(IReadOnlyList<string> classNames,
        string predictedLabelColumnName = DefaultPredictedLabelColumnName,
        string scoreColumnName = DefaultScoreColumnName,
        string predictedBoundingBoxesColumnName = DefaultPredictedBoundingBoxesColumnName,
        string? predictedMasksColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException("A detector needs at least one class name, got none.", nameof(classNames));
        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrEmpty(classNames[i]))
                throw new ArgumentException($"Class names must not be empty, got an empty name for class {i}.", nameof(classNames));
        }
        CheckName(predictedLabelColumnName, nameof(predictedLabelColumnName));
        CheckName(scoreColumnName, nameof(scoreColumnName));
        CheckName(predictedBoundingBoxesColumnName, nameof(predictedBoundingBoxesColumnName));
        if (predictedMasksColumnName is not null)
            CheckName(predictedMasksColumnName, nameof(predictedMasksColumnName));
        var names = new[] { predictedLabelColumnName, scoreColumnName, predictedBoundingBoxesColumnName, predictedMasksColumnName }.OfType<string>().ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new ArgumentException($"The detection output columns need {(names.Length == 3 ? "three" : "four")} different names, got '{string.Join("', '", names)}'.");
        _classNames = classNames.ToArray();
        PredictedLabelColumnName = predictedLabelColumnName;
        ScoreColumnName = scoreColumnName;
        PredictedBoundingBoxesColumnName = predictedBoundingBoxesColumnName;
        PredictedMasksColumnName = predictedMasksColumnName;
    }

    /// <summary>Class names in class-index order (key <c>k</c> of <c>PredictedLabel</c> is <c>ClassNames[k - 1]</c>).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    public string PredictedLabelColumnName { get; }

    public string ScoreColumnName { get; }

    public string PredictedBoundingBoxesColumnName { get; }

    /// <summary>The masks column, or null when the detector predicts no masks.</summary>
    public string? PredictedMasksColumnName { get; }

    /// <summary>The column names, in the order they are appended (the masks column last, when there is one).</summary>
    public IReadOnlyList<string> Names => PredictedMasksColumnName is null
        ? new[] { PredictedLabelColumnName, ScoreColumnName, PredictedBoundingBoxesColumnName }
        : new[] { PredictedLabelColumnName, ScoreColumnName, PredictedBoundingBoxesColumnName, PredictedMasksColumnName };

    /// <summary>The key type of the <c>PredictedLabel</c> items: <c>UInt32</c> keys over <see cref="ClassNames"/>.</summary>
    public KeyDataViewType LabelKeyType => new(typeof(uint), _classNames.Length);

    /// <summary><paramref name="input"/>'s columns followed by the detection columns (which hide same-named input columns).</summary>
    public DataViewSchema Append(DataViewSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        AddTo(builder);
        return builder.ToSchema();
    }

    /// <summary><paramref name="input"/>'s columns followed by the detection columns, for an estimator's <c>GetOutputSchema</c>.</summary>
    public SchemaShape Append(SchemaShape input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var builder = new DataViewSchema.Builder();
        AddTo(builder);
        var added = MlNetInternals.ToSchemaShape(builder.ToSchema());
        var names = Names.ToHashSet(StringComparer.Ordinal);
        return new SchemaShape(input.Where(c => !names.Contains(c.Name)).Concat(added));
    }

    private void AddTo(DataViewSchema.Builder builder)
    {
        var keyValues = new DataViewSchema.Annotations.Builder();
        KeyValues.Text(_classNames).AddTo(keyValues, AnnotationNames.KeyValues);
        builder.AddColumn(PredictedLabelColumnName, new VectorDataViewType(LabelKeyType), keyValues.ToAnnotations());
        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single));
        builder.AddColumn(PredictedBoundingBoxesColumnName, new VectorDataViewType(NumberDataViewType.Single));
        if (PredictedMasksColumnName is not null)
            builder.AddColumn(PredictedMasksColumnName, new VectorDataViewType(NumberDataViewType.Byte));
    }

    /// <summary>A getter of detection column <paramref name="name"/> that reads <paramref name="current"/>'s detections.</summary>
    internal Delegate CreateGetter(string name, Func<ObjectDetections> current)
    {
        if (name == PredictedLabelColumnName)
        {
            return (ValueGetter<VBuffer<uint>>)((ref VBuffer<uint> dst) =>
            {
                var classes = current().ClassIndices.Span;
                var editor = VBufferEditor.Create(ref dst, classes.Length);
                for (int i = 0; i < classes.Length; i++)
                    editor.Values[i] = (uint)classes[i] + 1;
                dst = editor.Commit();
            });
        }
        if (name == ScoreColumnName)
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => Copy(current().Scores.Span, ref dst));
        if (name == PredictedBoundingBoxesColumnName)
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) => Copy(current().Boxes.Span, ref dst));
        if (name == PredictedMasksColumnName)
        {
            return (ValueGetter<VBuffer<byte>>)((ref VBuffer<byte> dst) =>
            {
                var detections = current();
                var masks = detections.Masks;
                var boxes = detections.Boxes.Span;
                int count = masks?.Count ?? 0;
                int length = 0;
                for (int i = 0; i < count; i++)
                    length += BoxRectangle(boxes, i).Width * BoxRectangle(boxes, i).Height;
                var editor = VBufferEditor.Create(ref dst, length);
                int offset = 0;
                for (int i = 0; i < count; i++)
                {
                    var mask = masks![i];
                    var (left, top, width, height) = BoxRectangle(boxes, i);
                    var values = editor.Values.Slice(offset, width * height);
                    if (mask.Left == left && mask.Top == top && mask.Width == width && mask.Height == height)
                    {
                        mask.Pixels.Span.CopyTo(values);
                    }
                    else
                    {
                        // A mask reaching past its box (YOLO segmentation) is cut to the box's rectangle here.
                        for (int y = 0; y < height; y++)
                        {
                            for (int x = 0; x < width; x++)
                                values[y * width + x] = mask.Contains(left + x, top + y) ? (byte)1 : (byte)0;
                        }
                    }
                    offset += width * height;
                }
                dst = editor.Commit();
            });
        }
        throw new ArgumentOutOfRangeException(nameof(name), $"'{name}' is not a detection column; they are {string.Join(", ", Names)}.");
    }

    /// <summary>Detection <paramref name="index"/>'s box rounded out to whole pixels: columns floor(x0) .. ceil(x1) - 1, rows floor(y0) .. ceil(y1) - 1.</summary>
    private static (int Left, int Top, int Width, int Height) BoxRectangle(ReadOnlySpan<float> boxes, int index)
    {
        int left = (int)MathF.Floor(boxes[4 * index]), top = (int)MathF.Floor(boxes[4 * index + 1]);
        return (left, top, Math.Max(0, (int)MathF.Ceiling(boxes[4 * index + 2]) - left), Math.Max(0, (int)MathF.Ceiling(boxes[4 * index + 3]) - top));
    }

    private static void Copy(ReadOnlySpan<float> values, ref VBuffer<float> dst)
    {
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    }

    /// <summary>
    /// The detections held by one row's three detection columns (the reverse of the getters): keys are
    /// turned back into 0-based class indices. Masks are not carried by the columns.
    /// </summary>
    /// <exception cref="InvalidDataException">The three vectors disagree in length, or a key is missing (0) or beyond the class count.</exception>
    public ObjectDetections ToDetections(VBuffer<uint> predictedLabels, VBuffer<float> scores, VBuffer<float> boxes)
    {
        var labels = predictedLabels.DenseValues().ToArray();
        var scoreValues = scores.DenseValues().ToArray();
        var boxValues = boxes.DenseValues().ToArray();
        if (scoreValues.Length != labels.Length || boxValues.Length != 4 * labels.Length)
            throw new InvalidDataException($"Detection columns disagree: {labels.Length} labels in '{PredictedLabelColumnName}', {scoreValues.Length} scores in '{ScoreColumnName}', {boxValues.Length} values (4 per box) in '{PredictedBoundingBoxesColumnName}'.");
        var classes = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == 0 || labels[i] > _classNames.Length)
                throw new InvalidDataException($"Column '{PredictedLabelColumnName}' holds key {labels[i]}, outside 1..{_classNames.Length}.");
            classes[i] = (int)labels[i] - 1;
        }
        return new ObjectDetections(boxValues, classes, scoreValues);
    }

    /// <summary>Reads the detections of every row of <paramref name="data"/>, which holds these columns, in row order.</summary>
    public IEnumerable<ObjectDetections> ReadDetections(IDataView data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var columns = Names.Select(name => data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"Detection column '{name}' not found in the data.")).ToArray();
        CheckType(columns[0], new VectorDataViewType(LabelKeyType), "a vector of keys over " + _classNames.Length + " classes");
        CheckType(columns[1], new VectorDataViewType(NumberDataViewType.Single), "a vector of Single");
        CheckType(columns[2], new VectorDataViewType(NumberDataViewType.Single), "a vector of Single");
        return Read(data, columns);
    }

    private IEnumerable<ObjectDetections> Read(IDataView data, DataViewSchema.Column[] columns)
    {
        using var cursor = data.GetRowCursor(columns);
        var getLabels = cursor.GetGetter<VBuffer<uint>>(columns[0]);
        var getScores = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var getBoxes = cursor.GetGetter<VBuffer<float>>(columns[2]);
        VBuffer<uint> labels = default;
        VBuffer<float> scores = default, boxes = default;
        while (cursor.MoveNext())
        {
            getLabels(ref labels);
            getScores(ref scores);
            getBoxes(ref boxes);
            yield return ToDetections(labels, scores, boxes);
        }
    }

    private static void CheckType(DataViewSchema.Column column, DataViewType expected, string description)
    {
        var type = column.Type;
        bool matches = type is VectorDataViewType vector && expected is VectorDataViewType want
            && (vector.ItemType.Equals(want.ItemType) || (vector.ItemType is KeyDataViewType key && want.ItemType is KeyDataViewType wantKey
                && key.RawType == typeof(uint) && key.Count == wantKey.Count));
        if (!matches)
            throw new ArgumentOutOfRangeException(column.Name, $"Schema mismatch for column '{column.Name}': expected {description}, got {type}.");
    }

    private static void CheckName(string name, string parameter)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException($"{char.ToUpperInvariant(parameter[0])}{parameter[1..]} must not be empty.", parameter);
    }

    internal void Write(BinaryWriter writer)
    {
        writer.Write(PredictedLabelColumnName);
        writer.Write(ScoreColumnName);
        writer.Write(PredictedBoundingBoxesColumnName);
        writer.Write(_classNames.Length);
        foreach (var name in _classNames)
            writer.Write(name);
        writer.Write(PredictedMasksColumnName ?? "");
    }

    internal static DetectionColumns Read(BinaryReader reader)
    {
        string label = reader.ReadString(), score = reader.ReadString(), boxes = reader.ReadString();
        int count = reader.ReadInt32();
        if (count <= 0 || count > 1_000_000)
            throw new InvalidDataException($"Corrupt detection model: {count} class names.");
        var names = new string[count];
        for (int i = 0; i < count; i++)
            names[i] = reader.ReadString();
        string masks = reader.ReadString();
        return new DetectionColumns(names, label, score, boxes, masks.Length == 0 ? null : masks);
    }
}
