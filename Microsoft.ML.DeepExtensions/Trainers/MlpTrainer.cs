using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Data;
using Microsoft.ML.DeepExtensions.Networks;
using Microsoft.ML.DeepExtensions.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeepExtensions.Trainers;

/// <summary>
/// Trains a multi-layer perceptron on a numeric feature vector with TorchSharp, for binary
/// classification, multiclass classification or regression. Created through
/// <c>mlContext.BinaryClassification.Trainers.Mlp</c>, <c>mlContext.MulticlassClassification.Trainers.Mlp</c>
/// or <c>mlContext.Regression.Trainers.Mlp</c>.
/// </summary>
/// <remarks>
/// Features should be on comparable scales (e.g. <c>NormalizeMeanVariance</c> or
/// <c>NormalizeMinMax</c> before the trainer): gradient descent on raw features of very different
/// magnitudes converges slowly or diverges.
/// </remarks>
public sealed class MlpTrainer : NetworkTrainer<MlpTrainer.Options>
{
    /// <summary>Options of <see cref="MlpTrainer"/>; see <see cref="DeepTrainerOptions"/> for the shared ones.</summary>
    public sealed class Options : DeepTrainerOptions
    {
        /// <summary>Units of each hidden layer. Defaults to one layer of 100 (as scikit-learn's MLP).</summary>
        public int[] HiddenLayers = { 100 };

        /// <summary>Activation after each hidden layer. Defaults to <see cref="ReLU"/>.</summary>
        public Activation Activation = new ReLU();

        /// <summary>Dropout probability after each hidden layer, in [0, 1). Defaults to 0.</summary>
        public double Dropout;

        /// <summary>Batch normalization before each hidden activation. Defaults to false.</summary>
        public bool BatchNormalization;

        internal override void Validate()
        {
            base.Validate();
            Require(HiddenLayers is not null, nameof(HiddenLayers), "must be set (use an empty array for a linear model)");
            Require(HiddenLayers!.All(units => units > 0), nameof(HiddenLayers), $"must all be positive, got [{string.Join(", ", HiddenLayers ?? Array.Empty<int>())}]");
            Require(Activation is not null, nameof(Activation), "must be set");
            Require(Dropout is >= 0 and < 1, nameof(Dropout), $"must be in [0, 1), got {Dropout}");
        }
    }

    internal MlpTrainer(IHostEnvironment env, PredictionTask task, Options options)
        : base(env, task, options, nameof(MlpTrainer))
    {
    }

    private protected override NetworkDefinition CreateNetwork(TensorColumn features, int outputSize) =>
        new MlpNetwork(features.Size, TrainerOptions.HiddenLayers, TrainerOptions.Activation, TrainerOptions.Dropout, TrainerOptions.BatchNormalization, outputSize);
}
