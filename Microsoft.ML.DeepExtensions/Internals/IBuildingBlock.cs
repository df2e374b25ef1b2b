namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// An activation, loss, optimizer or learning-rate schedule: a configuration with a kebab-case
/// registry name whose constructor parameters are exactly its hyperparameters, each exposed as
/// the property of the same name (see <see cref="BuildingBlockSpec"/>).
/// </summary>
internal interface IBuildingBlock
{
    /// <summary>The registry name, in kebab-case, such as <c>leaky-relu</c>.</summary>
    string Name { get; }
}
