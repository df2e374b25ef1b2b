using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Scoring;

namespace Microsoft.ML.DeepExtensions.Vision.Evaluation;

/// <summary>
/// Reads ground truth and predictions from an <see cref="IDataView"/> (one row per image) into an
/// <see cref="EvaluationSet"/>. Classes are the predicted label's key values (its <c>KeyValues</c> names, or
/// 1..K); ground-truth labels are matched to them by name when they carry names (text, or keys with
/// <c>KeyValues</c>), by key otherwise; ground-truth classes the predictions never name are added as classes.
/// </summary>
internal static class DataViewDetectionReader
{
    /// <summary>Reads the rows of <paramref name="data"/>: ground truth from <paramref name="labelColumn"/>, <paramref name="boxColumn"/>
    /// (and <paramref name="crowdColumn"/>), predictions from <paramref name="predictedLabelColumn"/>, <paramref name="scoreColumn"/> and
    /// <paramref name="predictedBoxesColumn"/>.</summary>
    /// <param name="data">One row per image.</param>
    /// <param name="labelColumn">Ground-truth classes.</param>
    /// <param name="boxColumn">Ground-truth boxes.</param>
    /// <param name="predictedLabelColumn">Predicted classes.</param>
    /// <param name="scoreColumn">Scores.</param>
    /// <param name="predictedBoxesColumn">Predicted boxes.</param>
    /// <param name="crowdColumn">Crowd flags, or null.</param>
    /// <param name="masksColumn">Ground-truth masks (bytes, each label's mask over its box rounded out to whole pixels, as
    /// <c>PredictedMasks</c>), or null for box metrics.</param>
    /// <param name="predictedMasksColumn">The predicted masks column, read when <paramref name="masksColumn"/> is given.</param>
    public static EvaluationSet Read(IDataView data, string labelColumn, string boxColumn, string predictedLabelColumn, string scoreColumn,
        string predictedBoxesColumn, string? crowdColumn, string? masksColumn = null, string? predictedMasksColumn = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var schema = data.Schema;
        var label = Find(schema, labelColumn, "Label");
        var box = Find(schema, boxColumn, "Bounding box");
        var predictedLabel = Find(schema, predictedLabelColumn, "Predicted label");
        var score = Find(schema, scoreColumn, "Score");
        var predictedBoxes = Find(schema, predictedBoxesColumn, "Predicted bounding boxes");
        var crowd = crowdColumn is null ? (DataViewSchema.Column?)null : Find(schema, crowdColumn, "Crowd");

        var predictedKey = KeyVector(predictedLabel)
            ?? throw Mismatch(predictedLabel, "a vector of keys (the detector's PredictedLabel)");
        CheckFloatVector(score);
        CheckFloatVector(box);
        CheckFloatVector(predictedBoxes);
        if (crowd is { } c && !(c.Type is VectorDataViewType { ItemType: BooleanDataViewType }))
            throw Mismatch(c, "a vector of Boolean");
        DataViewSchema.Column? masks = null, predictedMasks = null;
        if (masksColumn is not null)
        {
            masks = Find(schema, masksColumn, "Masks");
            predictedMasks = Find(schema, predictedMasksColumn ?? Detection.DetectionColumns.DefaultPredictedMasksColumnName, "Predicted masks");
            foreach (var m in new[] { masks.Value, predictedMasks.Value })
            {
                if (m.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Byte)
                    throw Mismatch(m, "a vector of Byte (each mask over its box rounded out to whole pixels, as PredictedMasks)");
            }
        }

        var classes = new List<string>(Names(predictedLabel, (int)predictedKey.Count) ?? Enumerable.Range(1, (int)predictedKey.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classes.Count; i++)
            classIndex.TryAdd(classes[i], i);

        var truth = new List<IReadOnlyList<GroundTruthObject>>();
        var predictions = new List<IReadOnlyList<PredictedObject>>();
        var columns = new List<DataViewSchema.Column> { label, box, predictedLabel, score, predictedBoxes };
        if (crowd is { } crowdCol)
            columns.Add(crowdCol);
        if (masks is { } masksCol)
            columns.Add(masksCol);
        if (predictedMasks is { } predictedMasksCol)
            columns.Add(predictedMasksCol);
        using var cursor = data.GetRowCursor(columns);
        var labelToClass = LabelMapping(label, predictedKey, classes, classIndex);
        var getBoxes = cursor.GetGetter<VBuffer<float>>(box);
        var getPredicted = cursor.GetGetter<VBuffer<uint>>(predictedLabel);
        var getScores = cursor.GetGetter<VBuffer<float>>(score);
        var getPredictedBoxes = cursor.GetGetter<VBuffer<float>>(predictedBoxes);
        var getCrowd = crowd is { } cc ? cursor.GetGetter<VBuffer<bool>>(cc) : null;
        var readLabels = labelToClass(cursor);
        var getMasks = masks is { } gm ? cursor.GetGetter<VBuffer<byte>>(gm) : null;
        var getPredictedMasks = predictedMasks is { } pm ? cursor.GetGetter<VBuffer<byte>>(pm) : null;
        VBuffer<byte> maskValues = default, predictedMaskValues = default;
        VBuffer<float> boxes = default, scores = default, predictedBoxValues = default;
        VBuffer<uint> predictedKeys = default;
        VBuffer<bool> crowdFlags = default;
        while (cursor.MoveNext())
        {
            long row = cursor.Position;
            var labels = readLabels();
            getBoxes(ref boxes);
            var boxArray = boxes.DenseValues().ToArray();
            if (boxArray.Length != 4 * labels.Length)
                throw new InvalidDataException($"Row {row}: column '{boxColumn}' holds {boxArray.Length} values for {labels.Length} labels in '{labelColumn}'; it needs 4 (x0, y0, x1, y1) per label.");
            bool[] crowdArray = new bool[labels.Length];
            if (getCrowd is not null)
            {
                getCrowd(ref crowdFlags);
                crowdArray = crowdFlags.DenseValues().ToArray();
                if (crowdArray.Length != labels.Length)
                    throw new InvalidDataException($"Row {row}: column '{crowdColumn}' holds {crowdArray.Length} flags for {labels.Length} labels.");
            }
            var imageTruth = new GroundTruthObject[labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                var b = Corners(boxArray, i, row, boxColumn);
                imageTruth[i] = new GroundTruthObject(labels[i], b, b.Area, crowdArray[i]);
            }

            getPredicted(ref predictedKeys);
            getScores(ref scores);
            getPredictedBoxes(ref predictedBoxValues);
            var keys = predictedKeys.DenseValues().ToArray();
            var scoreArray = scores.DenseValues().ToArray();
            var predictedArray = predictedBoxValues.DenseValues().ToArray();
            if (scoreArray.Length != keys.Length || predictedArray.Length != 4 * keys.Length)
                throw new InvalidDataException($"Row {row}: the prediction columns disagree: {keys.Length} labels in '{predictedLabelColumn}', {scoreArray.Length} scores in '{scoreColumn}', {predictedArray.Length} values (4 per box) in '{predictedBoxesColumn}'.");
            var imagePredictions = new PredictedObject[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                if (keys[i] == 0 || keys[i] > predictedKey.Count)
                    throw new InvalidDataException($"Row {row}: column '{predictedLabelColumn}' holds key {keys[i]}, outside 1..{predictedKey.Count}.");
                imagePredictions[i] = new PredictedObject((int)keys[i] - 1, Corners(predictedArray, i, row, predictedBoxesColumn), scoreArray[i]);
            }
            if (getMasks is not null)
            {
                getMasks(ref maskValues);
                getPredictedMasks!(ref predictedMaskValues);
                AttachMasks(imageTruth, imagePredictions, Split(boxArray, maskValues, row, masksColumn!), Split(predictedArray, predictedMaskValues, row, predictedMasksColumn!));
            }
            truth.Add(imageTruth);
            predictions.Add(imagePredictions);
        }
        return new EvaluationSet(classes, truth, predictions, masks is null ? CocoIouType.BoundingBox : CocoIouType.Segmentation);
    }

    private static Detection.InstanceMask[] Split(float[] boxes, VBuffer<byte> values, long row, string column)
    {
        try
        {
            return Detection.Segmentation.InstanceMasks.FromColumns(boxes, values.DenseValues().ToArray());
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Row {row}, column '{column}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Puts one image's masks on a common canvas (from pixel 0, 0 to the farthest mask edge) as run-length encodings,
    /// and makes each ground truth's area its mask's (COCO's <c>area</c> is the segment's).
    /// </summary>
    private static void AttachMasks(GroundTruthObject[] truth, PredictedObject[] predicted, Detection.InstanceMask[] truthMasks, Detection.InstanceMask[] predictedMasks)
    {
        var all = truthMasks.Concat(predictedMasks).ToArray();
        int width = Math.Max(1, all.Select(m => m.Left + m.Width).DefaultIfEmpty(1).Max());
        int height = Math.Max(1, all.Select(m => m.Top + m.Height).DefaultIfEmpty(1).Max());
        for (int i = 0; i < truth.Length; i++)
        {
            var rle = RunLengthEncodedMask.FromInstanceMask(truthMasks[i], height, width);
            truth[i] = truth[i] with { Mask = rle, Area = rle.Area() };
        }
        for (int i = 0; i < predicted.Length; i++)
            predicted[i] = predicted[i] with { Mask = RunLengthEncodedMask.FromInstanceMask(predictedMasks[i], height, width) };
    }

    /// <summary>Builds, for a cursor, a reader of the current row's ground-truth class indices.</summary>
    private static Func<DataViewRowCursor, Func<int[]>> LabelMapping(DataViewSchema.Column label, KeyDataViewType predictedKey, List<string> classes, Dictionary<string, int> classIndex)
    {
        int ClassOf(string name)
        {
            if (!classIndex.TryGetValue(name, out int index))
            {
                index = classes.Count;
                classes.Add(name);
                classIndex[name] = index;
            }
            return index;
        }

        if (label.Type is VectorDataViewType { ItemType: TextDataViewType })
        {
            return cursor =>
            {
                var get = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(label);
                VBuffer<ReadOnlyMemory<char>> values = default;
                return () =>
                {
                    get(ref values);
                    return values.DenseValues().Select(v => ClassOf(v.ToString())).ToArray();
                };
            };
        }
        var key = KeyVector(label) ?? throw Mismatch(label, "a vector of keys or of text (class names)");
        if (key.RawType != typeof(uint))
            throw Mismatch(label, "a vector of UInt32 keys or of text");
        var names = Names(label, (int)key.Count);
        if (names is null && key.Count != predictedKey.Count)
            throw new ArgumentOutOfRangeException(label.Name, $"Schema mismatch for label column '{label.Name}': its keys have no names (KeyValues) and count {key.Count} classes, the predictions {predictedKey.Count}; give the labels names or the same key type.");
        var map = names?.Select(ClassOf).ToArray();
        return cursor =>
        {
            var get = cursor.GetGetter<VBuffer<uint>>(label);
            VBuffer<uint> values = default;
            return () =>
            {
                get(ref values);
                return values.DenseValues().Select(k =>
                {
                    if (k == 0 || k > key.Count)
                        throw new InvalidDataException($"Row {cursor.Position}: column '{label.Name}' holds key {k}, outside 1..{key.Count}.");
                    return map is null ? (int)k - 1 : map[k - 1];
                }).ToArray();
            };
        };
    }

    private static XywhBox Corners(float[] values, int index, long row, string column)
    {
        float x0 = values[4 * index], y0 = values[4 * index + 1], x1 = values[4 * index + 2], y1 = values[4 * index + 3];
        if (!(x1 >= x0 && y1 >= y0))
            throw new InvalidDataException($"Row {row}: box {index} of column '{column}' is ({x0}, {y0}, {x1}, {y1}); boxes are x0, y0, x1, y1 with x1 ≥ x0 and y1 ≥ y0.");
        return XywhBox.FromCorners(x0, y0, x1, y1);
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the data. Available columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
    }

    private static KeyDataViewType? KeyVector(DataViewSchema.Column column) =>
        column.Type is VectorDataViewType { ItemType: KeyDataViewType key } ? key : null;

    private static void CheckFloatVector(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw Mismatch(column, "a vector of Single");
    }

    /// <summary>The <c>KeyValues</c> names of a key column, or null when it has none of the right count.</summary>
    internal static string[]? Names(DataViewSchema.Column column, int count)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(AnnotationNames.KeyValues);
        if (annotation is null || annotation.Value.Type is not VectorDataViewType { ItemType: TextDataViewType } type || type.Size != count)
            return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.Annotations.GetValue(AnnotationNames.KeyValues, ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    private static ArgumentOutOfRangeException Mismatch(DataViewSchema.Column column, string expected) =>
        new(column.Name, $"Schema mismatch for column '{column.Name}': expected {expected}, got {column.Type}.");
}
