using System.Net;
using global::DeepExtensions.Service.Bench;

namespace Microsoft.ML.DeepExtensions.Tests.Service;

/// <summary>
/// The service under load on loopback (Kestrel, real HTTP): 2,000 image requests, 16 at a time, on the README's
/// Fashion-MNIST classifier with a pool of 4 engines (so engines are also made and dropped under load).
/// </summary>
[TestClass]
public sealed class ServiceLoadTests
{
    private const int Requests = 2000;
    private const int Concurrency = 16;
    private const int WarmUp = 200;

    /// <summary>The managed heap (after a forced GC) may grow by at most this much from warm-up to the end.</summary>
    private const double MaxHeapGrowthMb = 8;

    /// <summary>The working set (after a forced GC) may grow by at most this fraction from warm-up to the end.</summary>
    private const double MaxWorkingSetGrowth = 0.10;

    [TestMethod]
    public async Task TwoThousandConcurrentRequestsAnswerAsOneAtATimeInFlatMemory()
    {
        await using var factory = new ServiceFactory(ServiceModels.Fashion, ("Service:PoolSize", "4"));
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = factory.CreateClient();
        Assert.IsTrue(client.BaseAddress!.IsLoopback, $"served by Kestrel on loopback, got {client.BaseAddress}");

        var images = Enumerable.Range(0, 4).Select(seed => ServiceModels.Png(36 + seed, 28 + 2 * seed, seed)).ToArray();
        async Task<string> Predict(int i)
        {
            using var content = ServiceEndpointTests.Bytes(images[i % images.Length], "image/png");
            using var response = await client.PostAsync("/predict", content);
            string body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK ? body : $"HTTP {(int)response.StatusCode}: {body}";
        }

        var expected = new string[images.Length];
        for (int i = 0; i < images.Length; i++)
            expected[i] = await Predict(i);
        Assert.IsTrue(expected.All(e => e.StartsWith("{\"predictedLabel\":", StringComparison.Ordinal)), string.Join("\n", expected));
        Assert.AreNotEqual(1, expected.Distinct().Count(), "the images get different answers, so mixed-up answers would show");
        for (int i = 0; i < WarmUp; i++)
            await Predict(i);
        var before = ServiceBenchmark.MemoryUse.Measure();
        string? firstWrong = null;
        var (_, wrong, elapsed) = await ServiceBenchmark.RunConcurrentlyAsync(Requests, Concurrency, Predict, (i, answer) =>
        {
            bool same = answer == expected[i % images.Length];
            if (!same)
                Interlocked.CompareExchange(ref firstWrong, $"request {i}: {answer}", null);
            return same;
        });
        var after = ServiceBenchmark.MemoryUse.Measure();

        Assert.AreEqual(0, wrong, $"{wrong} answers differ from the single-threaded ones, e.g. {firstWrong}");
        string figures = $"{Requests / elapsed.TotalSeconds:F0} requests/s; heap {before.HeapMb:F1} -> {after.HeapMb:F1} MB, working set {before.WorkingSetMb:F1} -> {after.WorkingSetMb:F1} MB";
        Console.WriteLine(figures);
        Assert.IsTrue(after.HeapMb - before.HeapMb <= MaxHeapGrowthMb, $"managed heap grew by more than {MaxHeapGrowthMb} MB: {figures}");
        Assert.IsTrue(after.WorkingSetMb <= before.WorkingSetMb * (1 + MaxWorkingSetGrowth), $"working set grew by more than {MaxWorkingSetGrowth:P0}: {figures}");
    }

    [TestMethod]
    public async Task BenchPrintsThroughputLatencyAndMemory()
    {
        string image = ServiceModels.File("bench.png");
        await File.WriteAllBytesAsync(image, ServiceModels.Png(30, 30, 2));
        var stdout = new StringWriter();
        var original = Console.Out;
        Console.SetOut(stdout);
        int exitCode;
        try
        {
            exitCode = await ServiceBenchmark.RunAsync(new[] { "--bench", "--model", ServiceModels.Fashion, "--image", image, "--requests", "100", "--concurrency", "4", "--warmup", "10" });
        }
        finally
        {
            Console.SetOut(original);
        }
        string output = stdout.ToString();
        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "100 requests, 4 concurrent, 10 warm-up:");
        StringAssert.Contains(output, "answers different from the single-threaded one: 0");
        var json = System.Text.Json.JsonDocument.Parse(output.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
        Assert.IsTrue(json.GetProperty("requestsPerSecond").GetDouble() > 0);
        Assert.IsTrue(json.GetProperty("p50Ms").GetDouble() <= json.GetProperty("p99Ms").GetDouble());
    }

    [TestMethod]
    public void PercentileIsTheNearestRank()
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.AreEqual(50, ServiceBenchmark.Percentile(sorted, 0.50));
        Assert.AreEqual(99, ServiceBenchmark.Percentile(sorted, 0.99));
        Assert.AreEqual(7, ServiceBenchmark.Percentile(new[] { 7.0 }, 0.99));
    }
}
