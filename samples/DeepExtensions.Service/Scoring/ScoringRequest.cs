using Microsoft.ML.Data;

namespace DeepExtensions.Service.Scoring;

/// <summary>What one request gives a model: an image, or one value per required feature column.</summary>
public abstract record ScoringRequest;

/// <summary>A decoded image and what the answer calls it (the upload's file name, or null).</summary>
public sealed record ImageRequest(MLImage Image, string? Name) : ScoringRequest;

/// <summary>Feature values by column name, already of each column's raw type (float, double, text, bool).</summary>
public sealed record FeaturesRequest(IReadOnlyDictionary<string, object> Values) : ScoringRequest;
