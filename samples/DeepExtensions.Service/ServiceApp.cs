using System.Text.Json;
using DeepExtensions.Service.Models;
using DeepExtensions.Service.Requests;
using DeepExtensions.Service.Scoring;
using Microsoft.Extensions.Options;
using Microsoft.ML;

namespace DeepExtensions.Service;

/// <summary>
/// The service: the served model (loaded once, at start-up), the engine pool, and the endpoints
/// <c>POST /predict</c>, <c>GET /model</c>, <c>GET /health</c>. Every refused request gets a 4xx status and a
/// one-line JSON body <c>{"error":"..."}</c>.
/// </summary>
public static class ServiceApp
{
    /// <summary>Creates the builder with the configuration of <see cref="ServiceOptions"/> (appsettings, environment, command line).</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, ServiceOptions.SwitchMappings);
        builder.Services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.Section));
        builder.Services.AddSingleton(services => ServedModel.Load(new MLContext(seed: 1), services.GetRequiredService<IOptions<ServiceOptions>>().Value.ModelPath));
        builder.Services.AddSingleton(services => new ScoringEnginePool(services.GetRequiredService<ServedModel>(),
            services.GetRequiredService<IOptions<ServiceOptions>>().Value.EffectivePoolSize));
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(ServiceOptions.Section).Get<ServiceOptions>() ?? new ServiceOptions();
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
        });
        return builder;
    }

    /// <summary>Builds the app: checks the settings, loads the model (a bad one stops start-up), maps the endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<ServiceOptions>>().Value;
        options.Validate();
        var model = app.Services.GetRequiredService<ServedModel>();
        var pool = app.Services.GetRequiredService<ScoringEnginePool>();
        app.Logger.LogInformation("Serving {Kind} model {Path} ({Inputs}) with {Pool} pooled engines", model.Kind, model.Path,
            string.Join(", ", model.Inputs.Select(i => $"{i.Name}: {i.Type}")), pool.Size);

        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/model", () => Results.Text(ModelJson(model, pool, options), "application/json"));
        app.MapPost("/predict", (HttpContext context) => PredictAsync(context, model, pool, options));
        return app;
    }

    private static async Task PredictAsync(HttpContext context, ServedModel model, ScoringEnginePool pool, ServiceOptions options)
    {
        var request = context.Request;
        Prediction prediction;
        try
        {
            var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, context.RequestAborted);
            if (model.Input == ModelInputKind.Image)
            {
                var image = await ImageUpload.ReadAsync(request.ContentType, body, options.MaxImagePixels, context.RequestAborted);
                using (image.Image)
                    prediction = pool.Predict(image);
            }
            else
                prediction = pool.Predict(FeatureValues.Read(request.ContentType, body, model));
        }
        catch (RequestException e)
        {
            await WriteErrorAsync(context, e.StatusCode, e.Message);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not the request's fault (every bad input is a RequestException above): a bug or a broken model.
            context.RequestServices.GetRequiredService<ILogger<ServedModel>>().LogError(e, "Scoring failed");
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, $"Scoring failed: {e.Message}");
            return;
        }
        context.Response.ContentType = "application/json";
        using var json = new MemoryStream();
        prediction.WriteJson(json);
        json.Position = 0;
        await json.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>Writes <c>{"error":"..."}</c> with <paramref name="status"/>.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = message.ReplaceLineEndings(" ") }), context.RequestAborted);
    }

    private static string ModelJson(ServedModel model, ScoringEnginePool pool, ServiceOptions options)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("path", model.Path);
            writer.WriteString("kind", model.Kind);
            writer.WriteString("input", model.Input == ModelInputKind.Image ? "image" : "features");
            writer.WriteStartArray("inputs");
            foreach (var input in model.Inputs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", input.Name);
                writer.WriteString("type", input.Type);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("classes");
            foreach (var name in model.Classes)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
            writer.WriteNumber("poolSize", pool.Size);
            writer.WriteNumber("maxRequestBytes", options.MaxRequestBytes);
            writer.WriteNumber("maxImagePixels", options.MaxImagePixels);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
