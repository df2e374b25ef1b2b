namespace Microsoft.ML.DeepExtensions.Tests.Cli;

[TestClass]
public sealed class SummaryCommandTests
{
    private static void AssertUsageError(CliResult result, string expected)
    {
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.Stdout, "nothing on stdout");
        Assert.AreEqual(1, result.StderrLines.Length, result.Stderr);
        StringAssert.StartsWith(result.StderrLines[0], "deepext: summary: ");
        StringAssert.Contains(result.StderrLines[0], expected);
    }

    [TestMethod]
    public void LeNetSummary()
    {
        var result = CliRunner.Run("summary", "--arch", "lenet", "--input", "1x28x28", "--classes", "10");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.Stderr);
        var lines = result.StdoutLines;
        Assert.AreEqual("lenet: 1×28×28 input, 10 classes", lines[0]);
        StringAssert.StartsWith(lines[1], "Layer (type)");
        StringAssert.Contains(lines[1], "Output shape");
        StringAssert.Contains(lines[1], "Param #");
        string Row(string name) => lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        StringAssert.Matches(Row("input"), new System.Text.RegularExpressions.Regex(@"^input\s+\(1, 28, 28\)\s+0$"));
        StringAssert.Matches(Row("pad"), new System.Text.RegularExpressions.Regex(@"^pad \(ZeroPadding\)\s+\(1, 32, 32\)\s+0$"));
        StringAssert.Matches(Row("conv1"), new System.Text.RegularExpressions.Regex(@"^conv1 \(Convolution\)\s+\(6, 28, 28\)\s+156$"));
        StringAssert.Matches(Row("pool2"), new System.Text.RegularExpressions.Regex(@"^pool2 \(AveragePooling\)\s+\(16, 5, 5\)\s+0$"));
        StringAssert.Matches(Row("conv3"), new System.Text.RegularExpressions.Regex(@"^conv3 \(Convolution\)\s+\(120, 1, 1\)\s+48,120$"));
        StringAssert.Matches(Row("fc2"), new System.Text.RegularExpressions.Regex(@"^fc2 \(FullyConnected\)\s+\(10\)\s+850$"));
        CollectionAssert.Contains(lines, "Total params: 61,706");
        CollectionAssert.Contains(lines, "Trainable params: 61,706");
        CollectionAssert.Contains(lines, "Non-trainable params: 0");
        Assert.AreEqual("Multiply-adds per image: 416,520", lines[^1]);
    }

    [TestMethod]
    public void ResNetSummaryShowsBlocks()
    {
        var result = CliRunner.Run("summary", "--arch", "resnet18", "--input", "3x224x224", "--classes", "1000");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "  layer3.1 (BasicBlock)");
        StringAssert.Contains(result.Stdout, "Trainable params: 11,689,512");
    }

    [TestMethod]
    public void MalformedInputIsAUsageError() =>
        AssertUsageError(CliRunner.Run("summary", "--arch", "lenet", "--input", "3x224", "--classes", "10"),
            "--input '3x224' is not valid: expected CxHxW with three positive integers, e.g. 3x224x224");

    [TestMethod]
    public void ZeroSizeIsAUsageError() =>
        AssertUsageError(CliRunner.Run("summary", "--arch", "lenet", "--input", "1x0x28", "--classes", "10"), "--input '1x0x28' is not valid");

    [TestMethod]
    public void OneClassIsAUsageError() =>
        AssertUsageError(CliRunner.Run("summary", "--arch", "lenet", "--input", "1x28x28", "--classes", "1"),
            "--classes '1' is not valid: expected an integer of at least 2");

    [TestMethod]
    public void UnknownArchitectureListsTheValidOnes() =>
        AssertUsageError(CliRunner.Run("summary", "--arch", "lenet7", "--input", "1x28x28", "--classes", "10"),
            "Unknown image architecture 'lenet7'. Valid names: lenet, alexnet, vgg16, vgg16-bn, resnet18, resnet34, resnet50, googlenet, small-cnn");

    [TestMethod]
    public void TooSmallInputNamesTheLayer() =>
        AssertUsageError(CliRunner.Run("summary", "--arch", "alexnet", "--input", "3x20x20", "--classes", "10"),
            "Layer 'features.pool2' (max pool 3×3, stride 2) needs an input of at least 3×3, got 1×1 for a 3×20×20 input image.");

    [TestMethod]
    public void TimeBatchTimesATrainingStep()
    {
        var result = CliRunner.Run("summary", "--arch", "lenet", "--input", "1x32x32", "--classes", "10", "--time-batch", "8");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Matches(result.StdoutLines[^1], new System.Text.RegularExpressions.Regex(
            @"^Forward\+backward per batch of 8: \d+\.\d ms \(median of 10 steps after 2 warm-up, CPU, \d+ threads\)$"));
        AssertUsageError(CliRunner.Run("summary", "--arch", "lenet", "--input", "1x32x32", "--classes", "10", "--time-batch", "0"),
            "--time-batch '0' is not valid: expected a positive integer");
    }

    [TestMethod]
    public void MissingOptionIsAUsageError()
    {
        var result = CliRunner.Run("summary", "--arch", "lenet", "--input", "1x28x28");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "--classes N is required");
    }

    [TestMethod]
    public void HelpListsTheOptionsAndArchitectures()
    {
        var result = CliRunner.Run("summary", "--help");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.StartsWith(result.Stdout, "Usage: deepext summary --arch NAME --input CxHxW --classes N");
        StringAssert.Contains(result.Stdout, "googlenet, small-cnn");
        StringAssert.Contains(CliRunner.Run("--help").Stdout, "summary    Print an image architecture's layers");
    }
}
