using DeepExtensions.Service.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace DeepExtensions.Service.Scoring;

/// <summary>
/// Scores one request at a time through the served pipeline, as ML.NET's <c>PredictionEngine</c> does for a
/// compile-time row type: one <see cref="RequestRow"/> in, the pipeline's row mapper over it, getters of the
/// output columns made once. Not thread-safe (its row and buffers are reused): the service keeps a pool of
/// engines, one per concurrent request.
/// </summary>
public sealed class ScoringEngine : IDisposable
{
    private readonly ServedModel _model;
    private readonly RequestRow _input;
    private readonly DataViewRow _output;
    private readonly Func<ScoringRequest, Prediction> _read;
    private readonly int _imageIndex;

    public ScoringEngine(ServedModel model)
    {
        _model = model;
        _input = new RequestRow(model.InputSchema);
        var mapper = model.Transformer.GetRowToRowMapper(model.InputSchema);
        _output = mapper.GetRow(_input, model.OutputColumns.Select(c => mapper.OutputSchema[c.Name]));
        _imageIndex = model.ImageColumn is null ? -1 : model.InputSchema[model.ImageColumn].Index;
        _read = model.Output switch
        {
            ModelOutputKind.Detection => DetectionReader(),
            ModelOutputKind.Multiclass => MulticlassReader(),
            ModelOutputKind.Binary => BinaryReader(),
            _ => RegressionReader(),
        };
    }

    /// <summary>Scores <paramref name="request"/> and copies the answer out of the engine's buffers.</summary>
    public Prediction Predict(ScoringRequest request)
    {
        _input.Next();
        switch (request)
        {
            case ImageRequest image when _imageIndex >= 0:
                _input.Set(_imageIndex, image.Image);
                break;
            case FeaturesRequest features when _imageIndex < 0:
                foreach (var (name, value) in features.Values)
                    _input.Set(_model.InputSchema[name].Index, value);
                break;
            default:
                throw new ArgumentException($"A {request.GetType().Name} cannot be scored by a model that reads {_model.Input}.", nameof(request));
        }
        try
        {
            return _read(request);
        }
        finally
        {
            if (_imageIndex >= 0)
                _input.Set(_imageIndex, null); // the caller owns the image
        }
    }

    private Func<ScoringRequest, Prediction> DetectionReader()
    {
        var columns = _model.Detection!;
        var labels = _output.GetGetter<VBuffer<uint>>(_output.Schema[columns.PredictedLabelColumnName]);
        var scores = _output.GetGetter<VBuffer<float>>(_output.Schema[columns.ScoreColumnName]);
        var boxes = _output.GetGetter<VBuffer<float>>(_output.Schema[columns.PredictedBoundingBoxesColumnName]);
        VBuffer<uint> labelValues = default;
        VBuffer<float> scoreValues = default, boxValues = default;
        return request =>
        {
            labels(ref labelValues);
            scores(ref scoreValues);
            boxes(ref boxValues);
            var image = (ImageRequest)request;
            var detections = columns.ToDetections(labelValues, scoreValues, boxValues);
            return new DetectionPrediction(new ImageDetectionResult(image.Name, image.Image.Width, image.Image.Height, columns.ClassNames, detections));
        };
    }

    private Func<ScoringRequest, Prediction> MulticlassReader()
    {
        var scores = _output.GetGetter<VBuffer<float>>(_output.Schema["Score"]);
        var labelColumn = _output.Schema["PredictedLabel"];
        var classes = _model.Classes;
        Func<string> label;
        if (labelColumn.Type is TextDataViewType)
        {
            var text = _output.GetGetter<ReadOnlyMemory<char>>(labelColumn);
            ReadOnlyMemory<char> value = default;
            label = () =>
            {
                text(ref value);
                return value.ToString();
            };
        }
        else if (labelColumn.Type is KeyDataViewType && labelColumn.Type.RawType == typeof(uint))
        {
            var key = _output.GetGetter<uint>(labelColumn);
            uint value = 0;
            label = () =>
            {
                key(ref value);
                return value >= 1 && value <= classes.Count ? classes[(int)value - 1] : "";
            };
        }
        else
            throw new NotSupportedException($"Model '{_model.Path}' has a PredictedLabel of type {labelColumn.Type}; the service reads text or uint keys.");

        VBuffer<float> scoreValues = default;
        return _ =>
        {
            scores(ref scoreValues);
            return new ClassPrediction(label(), classes, scoreValues.DenseValues().ToArray());
        };
    }

    private Func<ScoringRequest, Prediction> BinaryReader()
    {
        var label = _output.GetGetter<bool>(_output.Schema["PredictedLabel"]);
        var probability = _output.GetGetter<float>(_output.Schema["Probability"]);
        var score = _output.GetGetter<float>(_output.Schema["Score"]);
        return _ =>
        {
            bool l = false;
            float p = 0, s = 0;
            label(ref l);
            probability(ref p);
            score(ref s);
            return new BinaryPrediction(l, p, s);
        };
    }

    private Func<ScoringRequest, Prediction> RegressionReader()
    {
        var score = _output.GetGetter<float>(_output.Schema["Score"]);
        return _ =>
        {
            float s = 0;
            score(ref s);
            return new RegressionPrediction(s);
        };
    }

    public void Dispose()
    {
        _output.Dispose();
        _input.Dispose();
    }
}
