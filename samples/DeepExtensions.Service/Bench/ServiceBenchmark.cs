using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DeepExtensions.Service.Bench;

/// <summary>
/// <c>--bench</c>: starts the service on a loopback port (Kestrel, real HTTP), sends one request body
/// <c>--requests</c> times from <c>--concurrency</c> clients after <c>--warmup</c> requests, and prints
/// requests/s, p50 and p99 latency, the managed heap and working set after a forced GC before and after the
/// measured requests, and whether every answer equals the first, single-threaded one (exit code 1 otherwise).
/// The clients run in the service's process, so the memory figures include them.
/// </summary>
public static class ServiceBenchmark
{
    public const string Switch = "--bench";

    private const string Usage =
        "Usage: DeepExtensions.Service --bench --model model.zip (--image FILE | --body FILE --content-type TYPE)\n" +
        "       [--requests 2000] [--concurrency 16] [--warmup 200] [--pool-size N]";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = ParseOptions(args);
        if (options is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var (requests, concurrency, warmup, bodyPath, contentType, serviceArgs) = options.Value;
        byte[] body = await File.ReadAllBytesAsync(bodyPath);

        var builder = ServiceApp.CreateBuilder(serviceArgs);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = ServiceApp.Build(builder);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        async Task<string> SendAsync(int _)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            using var response = await client.PostAsync("/predict", content);
            string answer = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? answer : $"HTTP {(int)response.StatusCode}: {answer}";
        }

        string expected = await SendAsync(0);
        Console.WriteLine($"single-threaded answer: {expected}");
        for (int i = 0; i < warmup; i++)
            await SendAsync(i);
        var before = MemoryUse.Measure();
        var (latencies, different, elapsed) = await RunConcurrentlyAsync(requests, concurrency, SendAsync, (_, answer) => answer == expected);
        var after = MemoryUse.Measure();

        Array.Sort(latencies);
        double rate = requests / elapsed.TotalSeconds;
        double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99);
        Console.WriteLine($"{requests} requests, {concurrency} concurrent, {warmup} warm-up: {rate:F1} requests/s, p50 {p50:F2} ms, p99 {p99:F2} ms");
        Console.WriteLine($"memory after a forced GC: managed heap {before.HeapMb:F1} -> {after.HeapMb:F1} MB, working set {before.WorkingSetMb:F1} -> {after.WorkingSetMb:F1} MB");
        Console.WriteLine($"answers different from the single-threaded one: {different}");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            requests, concurrency, warmup, requestsPerSecond = Math.Round(rate, 1), p50Ms = Math.Round(p50, 2), p99Ms = Math.Round(p99, 2),
            heapMbBefore = Math.Round(before.HeapMb, 1), heapMbAfter = Math.Round(after.HeapMb, 1),
            workingSetMbBefore = Math.Round(before.WorkingSetMb, 1), workingSetMbAfter = Math.Round(after.WorkingSetMb, 1),
            different,
        }));
        await app.StopAsync();
        return different == 0 ? 0 : 1;
    }

    /// <summary>
    /// Sends requests 0 to <paramref name="requests"/> - 1 through <paramref name="send"/> from
    /// <paramref name="concurrency"/> workers, each taking the next request as soon as its last one is answered, and
    /// counts the answers <paramref name="isExpected"/> refuses. Answers are checked as they come and not kept, so the
    /// memory measured after the run is the service's, not a store of answers.
    /// </summary>
    /// <returns>Each request's latency (milliseconds), how many answers were unexpected, and the time of the whole run.</returns>
    public static async Task<(double[] Milliseconds, int Unexpected, TimeSpan Elapsed)> RunConcurrentlyAsync(
        int requests, int concurrency, Func<int, Task<string>> send, Func<int, string, bool> isExpected)
    {
        var latencies = new double[requests];
        int next = -1, unexpected = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                long start = Stopwatch.GetTimestamp();
                string answer = await send(i);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!isExpected(i, answer))
                    Interlocked.Increment(ref unexpected);
            }
        })));
        return (latencies, unexpected, clock.Elapsed);
    }

    /// <summary>The value below which <paramref name="fraction"/> of the sorted values lie (nearest rank).</summary>
    public static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static (int Requests, int Concurrency, int Warmup, string Body, string ContentType, string[] ServiceArgs)? ParseOptions(string[] args)
    {
        int requests = 2000, concurrency = 16, warmup = 200;
        string? image = null, body = null, contentType = null;
        var serviceArgs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == Switch)
                continue;
            if (i + 1 >= args.Length)
                return null;
            string value = args[++i];
            switch (name)
            {
                case "--requests" when int.TryParse(value, CultureInfo.InvariantCulture, out requests) && requests > 0:
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out concurrency) && concurrency > 0:
                case "--warmup" when int.TryParse(value, CultureInfo.InvariantCulture, out warmup) && warmup >= 0:
                    break;
                case "--image":
                    image = value;
                    break;
                case "--body":
                    body = value;
                    break;
                case "--content-type":
                    contentType = value;
                    break;
                default:
                    if (name is "--requests" or "--concurrency" or "--warmup")
                    {
                        Console.Error.WriteLine($"{name} must be a positive integer, got '{value}'.");
                        return null;
                    }
                    serviceArgs.Add(name);
                    serviceArgs.Add(value);
                    break;
            }
        }
        if (image is not null)
            return File.Exists(image) ? (requests, concurrency, warmup, image, "application/octet-stream", serviceArgs.ToArray()) : Missing(image);
        if (body is not null && contentType is not null)
            return File.Exists(body) ? (requests, concurrency, warmup, body, contentType, serviceArgs.ToArray()) : Missing(body);
        return null;

        static (int, int, int, string, string, string[])? Missing(string path)
        {
            Console.Error.WriteLine($"'{path}' not found.");
            return null;
        }
    }

    /// <summary>The process's managed heap and working set, in MB, after a forced full GC.</summary>
    public readonly record struct MemoryUse(double HeapMb, double WorkingSetMb)
    {
        public static MemoryUse Measure()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            return new MemoryUse(GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, process.WorkingSet64 / 1048576.0);
        }
    }
}
