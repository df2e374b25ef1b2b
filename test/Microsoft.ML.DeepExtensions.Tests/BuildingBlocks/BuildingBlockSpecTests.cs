using System.Globalization;
using System.Reflection;
using Microsoft.ML.DeepExtensions.Activations;
using Microsoft.ML.DeepExtensions.Losses;
using Microsoft.ML.DeepExtensions.Optimizers;
using Microsoft.ML.DeepExtensions.Schedules;
using ActivationRegistry = Microsoft.ML.DeepExtensions.Activations.Activations;
using LossRegistry = Microsoft.ML.DeepExtensions.Losses.Losses;
using OptimizerRegistry = Microsoft.ML.DeepExtensions.Optimizers.Optimizers;
using ScheduleRegistry = Microsoft.ML.DeepExtensions.Schedules.Schedules;

namespace Microsoft.ML.DeepExtensions.Tests.BuildingBlocks;

/// <summary>The spec strings all four registries share: parsing, printing and their errors.</summary>
[TestClass]
public sealed class BuildingBlockSpecTests
{
    /// <summary>Every block with every hyperparameter off its default, and every block in its default configuration.</summary>
    private static readonly object[] SampleBlocks = new object[]
    {
        new LeakyReLU(0.2), new Elu(0.5), new Softplus(2, 5),
        new HuberLoss(2), new SoftmaxCrossEntropyLoss(0.1),
        new Sgd(0.1, 0.01), new MomentumSgd(0.05, 0.95, true, 0, 0.001), new MomentumSgd(0.02, 0.5, false, 0.3),
        new Adagrad(0.1, 0.1, 1e-9, 0.05, 0.01), new Adadelta(0.5, 0.8, 1e-5, 0.1), new RmsProp(0.001, 0.9, 1e-7, 0.5, true, 0.1),
        new Adam(0.002, 0.8, 0.99, 1e-7, true, 0.1), new AdamW(0.002, 0.8, 0.99, 1e-7, true, 0),
        new StepSchedule(5, 0.5), new CosineSchedule(10, 0.001), new ReduceOnPlateauSchedule(0.5, 3, 0.01, 2, 1e-5),
    }
    .Concat(ActivationRegistry.Names.Select(ActivationRegistry.Get))
    .Concat(LossRegistry.Names.Select(LossRegistry.Get))
    .Concat(OptimizerRegistry.Names.Select(name => OptimizerRegistry.Get(name)))
    .Concat(ScheduleRegistry.Names.Select(ScheduleRegistry.Get))
    .ToArray();

    /// <summary>The specs of <see cref="SampleBlocks"/>; strings, so that each is its own test case.</summary>
    public static IEnumerable<object[]> Specs => SampleBlocks.Select(block => new object[] { block.ToString()! });

    [TestMethod]
    [DynamicData(nameof(Specs))]
    public void ToStringParsesBackToAnEqualBlock(string spec)
    {
        var block = SampleBlocks.Single(b => b.ToString() == spec);
        var parsed = Get(block, spec);

        Assert.AreEqual(block.GetType(), parsed.GetType(), spec);
        Assert.AreEqual(spec, parsed.ToString());
        foreach (var property in block.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            Assert.AreEqual(property.GetValue(block), property.GetValue(parsed), $"{spec}: {property.Name}");
    }

    [TestMethod]
    public void DefaultsPrintAsTheBareNameAndOthersOnlyTheirChanges()
    {
        Assert.AreEqual("adam", new Adam().ToString());
        Assert.AreEqual("momentum:momentum=0.95,nesterov=true", new MomentumSgd(momentum: 0.95, nesterov: true).ToString());
        Assert.AreEqual("adam:ams-grad=true", new Adam(amsGrad: true).ToString());
        Assert.AreEqual("step:step-size=5,gamma=0.5", new StepSchedule(5, 0.5).ToString());
        Assert.AreEqual("softmax-cross-entropy:label-smoothing=0.1", new SoftmaxCrossEntropyLoss(0.1).ToString());
    }

    [TestMethod]
    [DataRow("activation", "sigmoid, tanh, relu, leaky-relu, elu, softplus")]
    [DataRow("loss", "l1, l2, huber, hinge, cross-entropy, sigmoid-cross-entropy, softmax-cross-entropy")]
    [DataRow("optimizer", "sgd, momentum, adagrad, adadelta, rmsprop, adam, adamw")]
    [DataRow("learning-rate schedule", "constant, step, cosine, reduce-on-plateau")]
    public void UnknownNamesListTheValidNames(string kind, string names)
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Get(kind, "swish:beta=1"));
        StringAssert.StartsWith(error.Message, $"Unknown {kind} 'swish'. Valid names: {names}.");
        Assert.AreEqual("spec", error.ParamName);
    }

    [TestMethod]
    [DataRow("activation", "leaky-relu:alpha=1", "Unknown key 'alpha' for activation 'leaky-relu' in spec 'leaky-relu:alpha=1'. Valid keys: slope.")]
    [DataRow("activation", "relu:slope=0.1", "Unknown key 'slope' for activation 'relu' in spec 'relu:slope=0.1'. Valid keys: none, 'relu' takes no arguments.")]
    [DataRow("loss", "huber:beta=2", "Unknown key 'beta' for loss 'huber' in spec 'huber:beta=2'. Valid keys: delta.")]
    [DataRow("optimizer", "adam:momentum=0.9",
        "Unknown key 'momentum' for optimizer 'adam' in spec 'adam:momentum=0.9'. Valid keys: learning-rate, beta1, beta2, epsilon, ams-grad, weight-decay.")]
    [DataRow("learning-rate schedule", "step:steps=3", "Unknown key 'steps' for learning-rate schedule 'step' in spec 'step:steps=3'. Valid keys: step-size, gamma.")]
    public void UnknownKeysListTheValidKeys(string kind, string spec, string message) =>
        StringAssert.StartsWith(Assert.ThrowsExactly<ArgumentException>(() => Get(kind, spec)).Message, message);

    [TestMethod]
    [DataRow("loss", "huber:delta=abc", "Value 'abc' of key 'delta' in loss spec 'huber:delta=abc' is not valid: expected a finite number.")]
    [DataRow("optimizer", "adam:learning-rate=Infinity", "Value 'Infinity' of key 'learning-rate' in optimizer spec 'adam:learning-rate=Infinity' is not valid: expected a finite number.")]
    [DataRow("activation", "leaky-relu:slope=NaN", "Value 'NaN' of key 'slope' in activation spec 'leaky-relu:slope=NaN' is not valid: expected a finite number.")]
    [DataRow("loss", "huber:delta=1,5", "Argument '5' in loss spec 'huber:delta=1,5' is not of the form key=value.")]
    [DataRow("learning-rate schedule", "step:step-size=2.5", "Value '2.5' of key 'step-size' in learning-rate schedule spec 'step:step-size=2.5' is not valid: expected an integer.")]
    [DataRow("optimizer", "momentum:nesterov=yes", "Value 'yes' of key 'nesterov' in optimizer spec 'momentum:nesterov=yes' is not valid: expected true or false.")]
    [DataRow("optimizer", "adam:beta1=0.8,Beta1=0.7", "Key 'Beta1' appears twice in optimizer spec 'adam:beta1=0.8,Beta1=0.7'.")]
    [DataRow("activation", "elu:alpha=", "Argument 'alpha=' in activation spec 'elu:alpha=' is not of the form key=value.")]
    [DataRow("activation", " ", "The activation spec is empty. Valid names: sigmoid, tanh, relu, leaky-relu, elu, softplus.")]
    public void MalformedSpecsNameTheKeyAndValue(string kind, string spec, string message) =>
        StringAssert.StartsWith(Assert.ThrowsExactly<ArgumentException>(() => Get(kind, spec)).Message, message);

    [TestMethod]
    public void NamesAndKeysIgnoreCaseHyphensAndSpaces()
    {
        Assert.AreEqual("leaky-relu:slope=0.2", ActivationRegistry.Get(" Leaky-ReLU : SLOPE = 0.2 ").ToString());
        Assert.IsTrue(((Adam)OptimizerRegistry.Get("adam:amsgrad=true")).AmsGrad);
        Assert.IsTrue(((Adam)OptimizerRegistry.Get("ADAM:Ams-Grad=TRUE")).AmsGrad);
        Assert.AreEqual(0.1, ((SoftmaxCrossEntropyLoss)LossRegistry.Get("softmax-cross-entropy:labelSmoothing=0.1")).LabelSmoothing);
    }

    [TestMethod]
    public void NumbersAreInvariantCultureWhateverTheCurrentCulture()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.AreEqual("leaky-relu:slope=0.2", new LeakyReLU(0.2).ToString());
            Assert.AreEqual(0.25, ((HuberLoss)LossRegistry.Get("huber:delta=0.25")).Delta);
            Assert.AreEqual(1e-3, ((CosineSchedule)ScheduleRegistry.Get("cosine:min-learning-rate=1e-3")).MinLearningRate);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    private static object Get(object block, string spec) => block switch
    {
        Activation => ActivationRegistry.Get(spec),
        Loss => LossRegistry.Get(spec),
        Optimizer => OptimizerRegistry.Get(spec),
        LearningRateSchedule => ScheduleRegistry.Get(spec),
        _ => throw new ArgumentException($"Not a building block: {block.GetType()}."),
    };

    private static object Get(string kind, string spec) => kind switch
    {
        "activation" => ActivationRegistry.Get(spec),
        "loss" => LossRegistry.Get(spec),
        "optimizer" => OptimizerRegistry.Get(spec),
        "learning-rate schedule" => ScheduleRegistry.Get(spec),
        _ => throw new ArgumentException($"Unknown kind {kind}."),
    };
}
