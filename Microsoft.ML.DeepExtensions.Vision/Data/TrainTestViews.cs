namespace Microsoft.ML.DeepExtensions.Vision.Data;

/// <summary>
/// A data set that comes already split, such as an IDX folder's <c>train-*</c> and <c>t10k-*</c>
/// files. (ML.NET's <c>DataOperationsCatalog.TrainTestData</c> has the same members but cannot be
/// created outside ML.NET.)
/// </summary>
/// <param name="TrainSet">The training rows.</param>
/// <param name="TestSet">The test rows.</param>
public sealed record TrainTestViews(IDataView TrainSet, IDataView TestSet);
