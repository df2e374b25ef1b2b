using Microsoft.ML.Data;

namespace Microsoft.ML.DeepExtensions.Scoring;

/// <summary>
/// The columns a trained network adds, exactly as ML.NET's own trainers name and annotate them:
/// binary → <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c> (Boolean); multiclass →
/// <c>Score</c> (one probability per class, with <c>SlotNames</c>) and <c>PredictedLabel</c>
/// (key with the training label's <c>KeyValues</c>); regression → <c>Score</c>.
/// </summary>
internal sealed class PredictionColumns
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";

    public PredictionColumns(PredictionTask task, KeyValues? classes)
    {
        if (task == PredictionTask.MulticlassClassification && classes is null)
            throw new ArgumentNullException(nameof(classes), "Multiclass predictions need the label's classes.");
        Task = task;
        Classes = task == PredictionTask.MulticlassClassification ? classes : null;
    }

    public PredictionTask Task { get; }

    public KeyValues? Classes { get; }

    /// <summary>Values per row the scorer produces: the class count for multiclass, else 1.</summary>
    public int ScoreSize => Classes?.Count ?? 1;

    public IReadOnlyList<string> Names => Task switch
    {
        PredictionTask.BinaryClassification => new[] { Score, Probability, PredictedLabel },
        PredictionTask.MulticlassClassification => new[] { Score, PredictedLabel },
        _ => new[] { Score },
    };

    private string Kind => Task switch
    {
        PredictionTask.BinaryClassification => "BinaryClassification",
        PredictionTask.MulticlassClassification => "MulticlassClassification",
        _ => "Regression",
    };

    /// <summary>The input schema followed by the prediction columns (which hide same-named input columns).</summary>
    public DataViewSchema Append(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var name in Names)
            builder.AddColumn(name, TypeOf(name), AnnotationsOf(name));
        return builder.ToSchema();
    }

    private DataViewType TypeOf(string name) => (Task, name) switch
    {
        (PredictionTask.MulticlassClassification, Score) => new VectorDataViewType(NumberDataViewType.Single, Classes!.Count),
        (PredictionTask.MulticlassClassification, PredictedLabel) => new KeyDataViewType(typeof(uint), Classes!.Count),
        (_, PredictedLabel) => BooleanDataViewType.Instance,
        _ => NumberDataViewType.Single,
    };

    private DataViewSchema.Annotations AnnotationsOf(string name)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddText(builder, AnnotationNames.ScoreColumnKind, Kind);
        AddText(builder, AnnotationNames.ScoreValueKind, name);
        if (Task == PredictionTask.MulticlassClassification)
        {
            if (name == Score)
            {
                var slotNames = new VBuffer<ReadOnlyMemory<char>>(Classes!.Count, Classes.Display.Select(d => d.AsMemory()).ToArray());
                builder.Add(AnnotationNames.SlotNames, new VectorDataViewType(TextDataViewType.Instance, Classes.Count),
                    (ref VBuffer<ReadOnlyMemory<char>> dst) => slotNames.CopyTo(ref dst));
                Classes.AddTo(builder, AnnotationNames.TrainingLabelValues);
            }
            else
            {
                Classes!.AddTo(builder, AnnotationNames.KeyValues);
            }
        }
        if (name == Probability)
            builder.Add(AnnotationNames.IsNormalized, BooleanDataViewType.Instance, (ref bool dst) => dst = true);
        return builder.ToAnnotations();
    }

    private static void AddText(DataViewSchema.Annotations.Builder builder, string name, string value)
    {
        var memory = value.AsMemory();
        builder.Add(name, TextDataViewType.Instance, (ref ReadOnlyMemory<char> dst) => dst = memory);
    }

    /// <summary>
    /// A getter for prediction column <paramref name="name"/> reading the current row's scores
    /// (raw score for binary and regression, class probabilities for multiclass).
    /// </summary>
    public Delegate CreateGetter(string name, Func<ReadOnlyMemory<float>> currentScores)
    {
        switch (Task, name)
        {
            case (PredictionTask.MulticlassClassification, Score):
                return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
                {
                    var scores = currentScores().Span;
                    var editor = VBufferEditor.Create(ref dst, scores.Length);
                    scores.CopyTo(editor.Values);
                    dst = editor.Commit();
                });
            case (PredictionTask.MulticlassClassification, PredictedLabel):
                return (ValueGetter<uint>)((ref uint dst) => dst = ArgMax(currentScores().Span));
            case (_, Probability):
                return (ValueGetter<float>)((ref float dst) => dst = Sigmoid(currentScores().Span[0]));
            case (_, PredictedLabel):
                return (ValueGetter<bool>)((ref bool dst) => dst = currentScores().Span[0] > 0);
            default:
                return (ValueGetter<float>)((ref float dst) => dst = currentScores().Span[0]);
        }
    }

    private static uint ArgMax(ReadOnlySpan<float> scores)
    {
        if (float.IsNaN(scores[0]))
            return 0; // missing key: ML.NET's convention for an undefined prediction
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
                best = i;
        }
        return (uint)best + 1;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public void Write(BinaryWriter writer)
    {
        writer.Write((int)Task);
        writer.Write(Classes is not null);
        Classes?.Write(writer);
    }

    public static PredictionColumns Read(BinaryReader reader)
    {
        int task = reader.ReadInt32();
        if (!Enum.IsDefined(typeof(PredictionTask), task))
            throw new InvalidDataException($"Corrupt model: unknown prediction task {task}.");
        var classes = reader.ReadBoolean() ? KeyValues.Read(reader) : null;
        return new PredictionColumns((PredictionTask)task, classes);
    }
}
