using System.Text.Json;
using Microsoft.ML.DeepExtensions.Vision.Detection;

namespace DeepExtensions.Service.Scoring;

/// <summary>One request's answer, copied out of the engine's buffers, written as the body of <c>POST /predict</c>.</summary>
public abstract record Prediction
{
    /// <summary>Writes the answer as one line of UTF-8 JSON.</summary>
    public abstract void WriteJson(Stream stream);

    private protected static void Write(Stream stream, Action<Utf8JsonWriter> write)
    {
        using var writer = new Utf8JsonWriter(stream);
        write(writer);
    }
}

/// <summary>A multiclass answer: <c>{"predictedLabel":"Shirt","probabilities":{"T-shirt/top":0.01,...}}</c>, classes in class order.</summary>
public sealed record ClassPrediction(string PredictedLabel, IReadOnlyList<string> Classes, float[] Probabilities) : Prediction
{
    public override void WriteJson(Stream stream) => Write(stream, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("predictedLabel", PredictedLabel);
        writer.WriteStartObject("probabilities");
        for (int c = 0; c < Probabilities.Length; c++)
            writer.WriteNumber(c < Classes.Count ? Classes[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture), Probabilities[c]);
        writer.WriteEndObject();
        writer.WriteEndObject();
    });
}

/// <summary>A binary answer: <c>{"predictedLabel":true,"probability":0.93,"score":2.6}</c> (ML.NET's binary columns).</summary>
public sealed record BinaryPrediction(bool PredictedLabel, float Probability, float Score) : Prediction
{
    public override void WriteJson(Stream stream) => Write(stream, writer =>
    {
        writer.WriteStartObject();
        writer.WriteBoolean("predictedLabel", PredictedLabel);
        writer.WriteNumber("probability", Probability);
        writer.WriteNumber("score", Score);
        writer.WriteEndObject();
    });
}

/// <summary>A regression answer: <c>{"score":151.2}</c>.</summary>
public sealed record RegressionPrediction(float Score) : Prediction
{
    public override void WriteJson(Stream stream) => Write(stream, writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("score", Score);
        writer.WriteEndObject();
    });
}

/// <summary>A detector's answer: the project's detections JSON (<see cref="DetectionJson"/>), on one line.</summary>
public sealed record DetectionPrediction(ImageDetectionResult Result) : Prediction
{
    public override void WriteJson(Stream stream) => DetectionJson.Write(stream, Result, indented: false);
}
