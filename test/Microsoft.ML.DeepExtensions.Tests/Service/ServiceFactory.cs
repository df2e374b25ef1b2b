using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Microsoft.ML.DeepExtensions.Tests.Service;

/// <summary>The scoring service in-process, serving <paramref name="modelPath"/>, with extra configuration settings.</summary>
internal sealed class ServiceFactory(string modelPath, params (string Key, string Value)[] settings) : WebApplicationFactory<global::DeepExtensions.Service.Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Service:ModelPath", modelPath);
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}
