using DeepExtensions.Service.Bench;

namespace DeepExtensions.Service;

/// <summary>
/// The entry point: <c>dotnet run --project samples/DeepExtensions.Service -- --model model.zip</c> serves on
/// http://localhost:5000 (<c>--urls</c> to change); <c>-- --bench --model model.zip --image photo.png</c> measures it
/// (<see cref="ServiceBenchmark"/>). Not static, so that tests can name it in <c>WebApplicationFactory&lt;Program&gt;</c>.
/// </summary>
public sealed class Program
{
    private Program()
    {
    }

    public static async Task<int> Main(string[] args)
    {
        if (args.Contains(ServiceBenchmark.Switch))
            return await ServiceBenchmark.RunAsync(args);
        var app = ServiceApp.Build(ServiceApp.CreateBuilder(args));
        await app.RunAsync();
        return 0;
    }
}
