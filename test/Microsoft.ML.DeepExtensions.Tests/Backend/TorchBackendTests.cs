using Microsoft.ML.DeepExtensions.Backend;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.DeepExtensions.Tests.Backend;

[TestClass]
public sealed class TorchBackendTests
{
    private static void RequireNoGpu()
    {
        TorchBackend.EnsureStarted();
        if (torch.cuda.is_available())
            Assert.Fail("Precondition: these tests describe a machine without a CUDA GPU (the unit suite runs on CPU machines; GPU paths are checked on a GPU machine).");
    }

    [TestMethod]
    public void EnsureStartedStartsTorchSharpAndIsIdempotent()
    {
        TorchBackend.EnsureStarted();
        TorchBackend.EnsureStarted();
        using var ones = torch.ones(3);
        using var sum = ones.sum();
        Assert.AreEqual(3f, sum.item<float>());
    }

    [TestMethod]
    public void EnsureStartedIsThreadSafe()
    {
        Parallel.For(0, 16, _ => TorchBackend.EnsureStarted());
        Assert.IsTrue(torch.get_num_threads() > 0);
    }

    [TestMethod]
    public void EnsureStartedWithAnotherFolderAfterStartIsRefused()
    {
        TorchBackend.EnsureStarted();
        using var temp = new BackendTestFiles.TempFolder();
        var lib = temp.FakeLibraries("torch/lib", "c10", "torch_cpu", "torch");
        temp.Write("torch/version.py", "__version__ = '2.10.0+cu128'\n");

        var e = Assert.ThrowsExactly<TorchBackendException>(() => TorchBackend.EnsureStarted(lib));
        StringAssert.Contains(e.Message, "already running");
        StringAssert.Contains(e.Message, lib);
        StringAssert.Contains(e.Message, "only one LibTorch");
    }

    [TestMethod]
    public void ExpectedLibTorchVersionMatchesTorchSharp()
    {
        TorchBackend.EnsureStarted();
        Assert.AreEqual(LibTorchFolder.MajorMinor(torch.__version__), TorchBackend.ExpectedLibTorchVersion);
        Assert.AreEqual("2.10", TorchBackend.ExpectedLibTorchVersion, "TorchSharp 0.107 binds LibTorch 2.10; update docs and messages if this changes.");
    }

    [TestMethod]
    public void ArgumentWinsOverEnvironmentVariableAndEmptyVariableIsUnset()
    {
        Assert.AreEqual("/a", TorchBackend.ChooseLibTorchDirectory("/a", "/b").Directory);
        var (directory, origin) = TorchBackend.ChooseLibTorchDirectory(null, " /b ");
        Assert.AreEqual("/b", directory);
        Assert.AreEqual(TorchBackend.LibTorchDirectoryVariable, origin);
        Assert.IsNull(TorchBackend.ChooseLibTorchDirectory(null, "").Directory);
        Assert.IsNull(TorchBackend.ChooseLibTorchDirectory(null, null).Directory);
    }

    [TestMethod]
    public void AutoIsCpuWithoutGpu()
    {
        RequireNoGpu();
        var device = TorchBackend.ResolveDevice(ComputeDevice.Auto, null, new MLContext());
        Assert.AreEqual(DeviceType.CPU, device.type);
    }

    [TestMethod]
    public void AutoWithAbsentGpuIndexIsCpu()
    {
        RequireNoGpu();
        var warnings = new List<string>();
        var device = TorchBackend.ResolveDevice(ComputeDevice.Auto, 3, new MLContext(), warnings.Add);
        Assert.AreEqual(DeviceType.CPU, device.type);
        Assert.AreEqual(0, warnings.Count, "Auto without any GPU is the normal CPU case, not a warning.");
    }

    [TestMethod]
    public void CpuIsCpu()
    {
        var device = TorchBackend.ResolveDevice(ComputeDevice.Cpu, null, null);
        Assert.AreEqual(DeviceType.CPU, device.type);
    }

    [TestMethod]
    public void CudaWithoutGpuThrowsAndSaysWhatToDo()
    {
        RequireNoGpu();
        var e = Assert.ThrowsExactly<TorchBackendException>(() => TorchBackend.ResolveDevice(ComputeDevice.Cuda, null, new MLContext()));
        StringAssert.Contains(e.Message, "CUDA device index 0");
        StringAssert.Contains(e.Message, "found 0 CUDA GPUs");
        StringAssert.Contains(e.Message, "CPU-only");
        StringAssert.Contains(e.Message, "MLContext.FallbackToCpu");
        StringAssert.Contains(e.Message, "ComputeDevice.Cpu");
        StringAssert.Contains(e.Message, TorchBackend.LibTorchDirectoryVariable);
        StringAssert.Contains(e.Message, "torch/lib");
    }

    [TestMethod]
    public void CudaTakesItsIndexFromMLContextGpuDeviceId()
    {
        RequireNoGpu();
        var ml = new MLContext { GpuDeviceId = 2 };
        var e = Assert.ThrowsExactly<TorchBackendException>(() => TorchBackend.ResolveDevice(ComputeDevice.Cuda, null, ml));
        StringAssert.Contains(e.Message, "CUDA device index 2 (MLContext.GpuDeviceId)");

        e = Assert.ThrowsExactly<TorchBackendException>(() => TorchBackend.ResolveDevice(ComputeDevice.Cuda, 1, ml));
        StringAssert.Contains(e.Message, "CUDA device index 1 (CudaDeviceIndex)");
    }

    [TestMethod]
    public void CudaWithFallbackToCpuWarnsAndReturnsCpu()
    {
        RequireNoGpu();
        var warnings = new List<string>();
        var device = TorchBackend.ResolveDevice(ComputeDevice.Cuda, null, new MLContext { FallbackToCpu = true }, warnings.Add);
        Assert.AreEqual(DeviceType.CPU, device.type);
        Assert.AreEqual(1, warnings.Count);
        StringAssert.Contains(warnings[0], "GPU 0");
        StringAssert.Contains(warnings[0], "FallbackToCpu");
    }

    [TestMethod]
    public void FallbackWarningGoesToMLContextLogWithoutCallback()
    {
        RequireNoGpu();
        var ml = new MLContext { FallbackToCpu = true };
        var logged = new List<LoggingEventArgs>();
        ml.Log += (_, e) => { lock (logged) logged.Add(e); };
        var device = TorchBackend.ResolveDevice(ComputeDevice.Cuda, null, ml);
        Assert.AreEqual(DeviceType.CPU, device.type);
        Assert.IsTrue(logged.Any(e => e.Kind == ChannelMessageKind.Warning && e.Message.Contains("FallbackToCpu")),
            "Expected the fallback warning in MLContext.Log.");
    }

    [TestMethod]
    public void NegativeIndexIsRefusedNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchBackend.ResolveDevice(ComputeDevice.Cuda, -1, new MLContext()));
        StringAssert.Contains(e.Message, "CudaDeviceIndex must be 0 or more");
        StringAssert.Contains(e.Message, "-1");
        Assert.AreEqual("cudaDeviceIndex", e.ParamName);

        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchBackend.ResolveDevice(ComputeDevice.Auto, null, new MLContext { GpuDeviceId = -2 }));
        StringAssert.Contains(e.Message, "MLContext.GpuDeviceId must be 0 or more");
        StringAssert.Contains(e.Message, "-2");
    }

    [TestMethod]
    public void UndefinedDeviceIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchBackend.ResolveDevice((ComputeDevice)7, null, null));
        StringAssert.Contains(e.Message, "Device must be Auto, Cpu or Cuda, got 7");
    }

    [TestMethod]
    public void DescribeNamesCpuThreads()
    {
        TorchBackend.EnsureStarted();
        var text = TorchBackend.Describe(torch.CPU);
        Assert.AreEqual($"cpu ({torch.get_num_threads()} thread{(torch.get_num_threads() == 1 ? "" : "s")})", text);
    }

    [TestMethod]
    public void DescribeOfAGpuNeverThrows()
    {
        // Without an NVIDIA driver this is just the name; with one, the name and memory follow.
        var text = TorchBackend.Describe(new torch.Device(DeviceType.CUDA, 1));
        StringAssert.StartsWith(text, "cuda:1");
    }

    [TestMethod]
    public void OpenMpWorkersSleepInsteadOfSpinningUnlessTheUserChose()
    {
        TorchBackend.EnsureStarted();
        var expected = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")) ? "PASSIVE" : Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.AreEqual(expected, System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeGetEnvironment("OMP_WAIT_POLICY")));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    private static extern nint NativeGetEnvironment([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);
}
