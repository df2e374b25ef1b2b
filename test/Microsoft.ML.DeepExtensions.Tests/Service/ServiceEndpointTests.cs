using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.DeepExtensions.Tests.Cli;
using Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Models;
using Microsoft.ML.DeepExtensions.Tests.Vision.Imaging;
using Microsoft.ML.DeepExtensions.Vision.Detection.Yolo;
using Microsoft.ML.DeepExtensions.Vision.Detection;
using Microsoft.ML.DeepExtensions.Vision.Haar;

namespace Microsoft.ML.DeepExtensions.Tests.Service;

[TestClass]
public sealed class ServiceEndpointTests
{
    private const long MaxRequestBytes = 300_000;

    private static ServiceFactory _fashion = null!;
    private static ServiceFactory _wine = null!;
    private static HttpClient _fashionClient = null!;
    private static HttpClient _wineClient = null!;

    [ClassInitialize]
    public static void StartServices(TestContext _)
    {
        _fashion = new ServiceFactory(ServiceModels.Fashion, ("Service:MaxRequestBytes", MaxRequestBytes.ToString(CultureInfo.InvariantCulture)), ("Service:PoolSize", "2"));
        _fashionClient = _fashion.CreateClient();
        _wine = new ServiceFactory(ServiceModels.Wine);
        _wineClient = _wine.CreateClient();
    }

    [ClassCleanup]
    public static void StopServices()
    {
        _fashionClient?.Dispose();
        _fashion?.Dispose();
        _wineClient?.Dispose();
        _wine?.Dispose();
    }

    [TestMethod]
    public async Task HealthAnswersOk()
    {
        using var response = await _fashionClient.GetAsync("/health");
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [TestMethod]
    public async Task ModelDescribesTheImageClassifierAndTheCsvModel()
    {
        var fashion = await GetJson(_fashionClient, "/model");
        Assert.AreEqual("image-classification", fashion.GetProperty("kind").GetString());
        Assert.AreEqual("image", fashion.GetProperty("input").GetString());
        Assert.AreEqual("Features:image", string.Join(",", fashion.GetProperty("inputs").EnumerateArray().Select(i => $"{i.GetProperty("name").GetString()}:{i.GetProperty("type").GetString()}")));
        var classes = fashion.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.AreEqual(10, classes.Length);
        Assert.AreEqual("T-shirt/top", classes[0]);
        Assert.AreEqual("Ankle boot", classes[9]);
        Assert.AreEqual(2, fashion.GetProperty("poolSize").GetInt32());
        Assert.AreEqual(MaxRequestBytes, fashion.GetProperty("maxRequestBytes").GetInt64());

        var wine = await GetJson(_wineClient, "/model");
        Assert.AreEqual("multiclass", wine.GetProperty("kind").GetString());
        Assert.AreEqual("features", wine.GetProperty("input").GetString());
        var inputs = wine.GetProperty("inputs").EnumerateArray().ToArray();
        // The 13 feature columns; the label column is not needed to score.
        CollectionAssert.AreEqual(File.ReadLines(CliRunner.Sample("wine-train.csv")).First().Split(',')[..^1], inputs.Select(i => i.GetProperty("name").GetString()).ToArray());
        Assert.IsTrue(inputs.All(i => i.GetProperty("type").GetString() == "number"));
        CollectionAssert.AreEqual(new[] { "cultivar_1", "cultivar_2", "cultivar_3" }, wine.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).Order().ToArray());
    }

    [TestMethod]
    public async Task ImagePredictionsEqualDeepextPredictOnTheSameFile()
    {
        for (int seed = 0; seed < 3; seed++)
        {
            byte[] png = ServiceModels.Png(40 + 7 * seed, 30 + 5 * seed, seed);
            string file = ServiceModels.File($"photo-{seed}.png");
            await File.WriteAllBytesAsync(file, png);
            var cli = CliRunner.Run("predict", "--model", ServiceModels.Fashion, "--data", file);
            Assert.AreEqual(0, cli.ExitCode, cli.ToString());
            string[] header = cli.StdoutLines[0].Split(','), row = cli.StdoutLines[1].Split(',');

            using var multipart = new MultipartFormDataContent { { Bytes(png, "image/png"), "image", "photo.png" } };
            var uploaded = await PostJson(_fashionClient, multipart);
            var raw = await PostJson(_fashionClient, Bytes(png, "image/png"));
            var mislabelled = await PostJson(_fashionClient, Bytes(png, "image/jpeg")); // the format is read from the bytes
            foreach (var answer in new[] { uploaded, raw, mislabelled })
            {
                Assert.AreEqual(row[1], answer.GetProperty("predictedLabel").GetString());
                var probabilities = answer.GetProperty("probabilities").EnumerateObject().ToArray();
                Assert.AreEqual(10, probabilities.Length);
                for (int c = 0; c < probabilities.Length; c++)
                {
                    Assert.AreEqual(header[2 + c], "Score_" + probabilities[c].Name);
                    Assert.AreEqual(float.Parse(row[2 + c], CultureInfo.InvariantCulture), probabilities[c].Value.GetSingle(), 1e-6f);
                }
            }
        }
    }

    [TestMethod]
    public async Task CsvRowsAndJsonObjectsEqualDeepextPredict()
    {
        var lines = File.ReadAllLines(CliRunner.Sample("wine-test.csv"));
        string[] header = lines[0].Split(',');
        string rows = ServiceModels.File("wine-rows.csv");
        File.WriteAllLines(rows, lines.Take(6));
        var cli = CliRunner.Run("predict", "--model", ServiceModels.Wine, "--data", rows);
        Assert.AreEqual(0, cli.ExitCode, cli.ToString());
        string[] cliHeader = cli.StdoutLines[0].Split(',');
        for (int r = 1; r <= 5; r++)
        {
            string[] values = lines[r].Split(',');
            string[] expected = cli.StdoutLines[r].Split(',');
            var json = "{" + string.Join(",", header[..^1].Select((h, i) => $"\"{h}\":{values[i]}")) + "}";
            var answers = new[]
            {
                await PostJson(_wineClient, new StringContent(json, Encoding.UTF8, "application/json")),
                await PostJson(_wineClient, new StringContent(lines[0] + "\n" + lines[r] + "\n", Encoding.UTF8, "text/csv")), // with the label, ignored
                await PostJson(_wineClient, new StringContent(string.Join(",", values[..^1]), Encoding.UTF8, "text/csv")),   // values only
            };
            foreach (var answer in answers)
            {
                Assert.AreEqual(expected[header.Length], answer.GetProperty("predictedLabel").GetString());
                foreach (var p in answer.GetProperty("probabilities").EnumerateObject())
                    Assert.AreEqual(float.Parse(expected[Array.IndexOf(cliHeader, "Score_" + p.Name)], CultureInfo.InvariantCulture), p.Value.GetSingle(), 1e-6f);
            }
        }
    }

    [TestMethod]
    [DataRow("binary")]
    [DataRow("regression")]
    public async Task BinaryAndRegressionCsvModelsAnswerAsDeepextPredict(string task)
    {
        string model = ServiceModels.File($"{task}.zip");
        var train = CliRunner.Run(CliRunner.TrainArgs(task, model));
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        var (stem, _) = CliRunner.Sets[task];
        var lines = File.ReadAllLines(CliRunner.Sample($"{stem}-test.csv"));
        string rows = ServiceModels.File($"{task}-rows.csv");
        File.WriteAllLines(rows, lines.Take(4));
        var cli = CliRunner.Run("predict", "--model", model, "--data", rows);
        Assert.AreEqual(0, cli.ExitCode, cli.ToString());
        string[] cliHeader = cli.StdoutLines[0].Split(',');
        float Cli(int row, string column) => float.Parse(cli.StdoutLines[row].Split(',')[Array.IndexOf(cliHeader, column)], CultureInfo.InvariantCulture);

        await using var service = new ServiceFactory(model);
        using var client = service.CreateClient();
        Assert.AreEqual(task, (await GetJson(client, "/model")).GetProperty("kind").GetString());
        for (int r = 1; r <= 3; r++)
        {
            var answer = await PostJson(client, new StringContent(lines[0] + "\n" + lines[r], Encoding.UTF8, "text/csv"));
            // One row against the CLI's batch: the same network, so equal to float rounding (relative 1e-6).
            float score = Cli(r, "Score");
            Assert.AreEqual(score, answer.GetProperty("score").GetSingle(), 1e-6f * Math.Max(1, Math.Abs(score)));
            if (task == "binary")
            {
                Assert.AreEqual(Cli(r, "Probability"), answer.GetProperty("probability").GetSingle(), 1e-6f);
                Assert.AreEqual(answer.GetProperty("score").GetSingle() > 0, answer.GetProperty("predictedLabel").GetBoolean());
            }
        }
    }

    [TestMethod]
    public async Task DetectorAnswersTheDetectionsJsonOfItsPipeline()
    {
        await using var faces = new ServiceFactory(ServiceModels.FaceDetector);
        using var client = faces.CreateClient();
        var info = await GetJson(client, "/model");
        Assert.AreEqual("object-detection", info.GetProperty("kind").GetString());
        Assert.AreEqual("Image:image", string.Join(",", info.GetProperty("inputs").EnumerateArray().Select(i => $"{i.GetProperty("name").GetString()}:{i.GetProperty("type").GetString()}")));

        byte[] photo = await File.ReadAllBytesAsync(ServiceModels.Astronaut);
        using var multipart = new MultipartFormDataContent { { Bytes(photo, "image/png"), "file", "astronaut.png" } };
        using var response = await client.PostAsync("/predict", multipart);
        string text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        var served = DetectionJson.Deserialize(text);

        // The same cascade through an ML.NET pipeline on the file itself.
        var ml = new MLContext(seed: 1);
        var paths = ml.Data.LoadFromEnumerable(new[] { new ServiceModels.ImagePathRow { ImagePath = ServiceModels.Astronaut } });
        var model = ml.Transforms.LoadImages("Image", "", nameof(ServiceModels.ImagePathRow.ImagePath))
            .Append(ml.Transforms.DetectObjectsWithHaarCascade(new HaarCascadeDetectorOptions { CascadePath = Vision.Haar.HaarTestData.Cascade("haarcascade_frontalface_alt2.xml") }))
            .Fit(paths);
        var detector = (HaarCascadeDetector)model.LastTransformer;
        var expected = detector.Columns.ReadDetections(model.Transform(paths)).Single();

        Assert.AreEqual("astronaut.png", served.Image);
        Assert.AreEqual(200, served.Width);
        Assert.AreEqual(200, served.Height);
        CollectionAssert.AreEqual(detector.ClassNames.ToArray(), served.ClassNames.ToArray());
        Assert.IsTrue(expected.Count > 0, "the cascade finds the astronaut's face");
        Assert.AreEqual(expected.Count, served.Detections.Count);
        CollectionAssert.AreEqual(expected.Boxes.ToArray(), served.Detections.Boxes.ToArray());
        CollectionAssert.AreEqual(expected.Scores.ToArray(), served.Detections.Scores.ToArray());
        CollectionAssert.AreEqual(expected.ClassIndices.ToArray(), served.Detections.ClassIndices.ToArray());
    }

    [TestMethod]
    public async Task OnnxYoloDetectorInAModelZipAnswersThePyTorchReferenceDetections()
    {
        // LoadImages -> DetectObjectsYolo (the generated YOLOv8-shaped ONNX model), saved by user code.
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<ServiceModels.ImagePathRow>());
        var loader = ml.Transforms.LoadImages("Image", "", nameof(ServiceModels.ImagePathRow.ImagePath)).Fit(empty);
        using (var detector = ml.Transforms.DetectObjectsYolo(new YoloObjectDetector.Options
        {
            ModelPath = ExpectedDetections.ModelFile("yolov8"),
            Version = YoloVersion.V8,
            Device = global::Microsoft.ML.DeepExtensions.Backend.ComputeDevice.Cpu,
        }).Fit(loader.Transform(empty)))
            ml.Model.Save(loader.Append(detector), empty.Schema, ServiceModels.File("yolov8.zip"));

        await using var service = new ServiceFactory(ServiceModels.File("yolov8.zip"));
        using var client = service.CreateClient();
        Assert.AreEqual("object-detection", (await GetJson(client, "/model")).GetProperty("kind").GetString());
        foreach (var image in ExpectedDetections.Images("yolov8"))
        {
            var answer = await PostJson(client, Bytes(await File.ReadAllBytesAsync(image.Path), "application/octet-stream"));
            var served = DetectionJson.Deserialize(answer.GetRawText());
            Assert.AreEqual(image.Width, served.Width);
            Assert.AreEqual(image.Height, served.Height);
            ExpectedDetections.AssertMatches(image, served.Detections, $"served {Path.GetFileName(image.Path)}");
        }
    }

    [TestMethod]
    public async Task BadImagesGetFourHundredsWithOneLineErrors()
    {
        byte[] png = ServiceModels.Png(32, 32, 1);
        // A PNG header declaring 100000 x 100000 pixels: refused before any pixel memory is allocated.
        byte[] absurd = File.ReadAllBytes(BadImageFiles.AbsurdSize(ServiceModels.File("")));
        var cases = new (string Name, HttpContent Content, HttpStatusCode Status, string Says)[]
        {
            ("empty body", Bytes(Array.Empty<byte>(), "image/png"), HttpStatusCode.BadRequest, "empty"),
            ("not an image", Bytes(Encoding.UTF8.GetBytes("hello, I am text"), "image/png"), HttpStatusCode.BadRequest, "not an image"),
            ("truncated", Bytes(png[..(png.Length / 2)], "image/png"), HttpStatusCode.BadRequest, "truncated"),
            ("absurd size", Bytes(absurd, "image/png"), HttpStatusCode.BadRequest, "100000x100000"),
            ("too large", Bytes(new byte[MaxRequestBytes + 1], "image/png"), HttpStatusCode.RequestEntityTooLarge, "300,000 bytes"),
            ("wrong content type", new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"), HttpStatusCode.UnsupportedMediaType, "application/json"),
            ("no content type", Bytes(png, null), HttpStatusCode.UnsupportedMediaType, "Content-Type"),
            ("multipart without a file", new MultipartFormDataContent { { new StringContent("x"), "field" } }, HttpStatusCode.BadRequest, "no file part"),
            ("multipart with an empty file", new MultipartFormDataContent { { Bytes(Array.Empty<byte>(), "image/png"), "image", "empty.png" } }, HttpStatusCode.BadRequest, "'empty.png' is empty"),
        };
        foreach (var (name, content, status, says) in cases)
            await AssertRefused(_fashionClient, name, content, status, says);

        // The service still answers after every refusal.
        Assert.IsTrue((await PostJson(_fashionClient, Bytes(png, "image/png"))).TryGetProperty("predictedLabel", out _));
    }

    [TestMethod]
    public async Task BadFeatureValuesGetFourHundredsWithOneLineErrors()
    {
        var lines = File.ReadAllLines(CliRunner.Sample("wine-test.csv"));
        string[] header = lines[0].Split(','), values = lines[1].Split(',');
        string Json(Func<int, string> value) => "{" + string.Join(",", header[..^1].Select((h, i) => $"\"{h}\":{value(i)}")) + "}";
        var cases = new (string Name, HttpContent Content, HttpStatusCode Status, string Says)[]
        {
            ("empty body", new StringContent("", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "empty"),
            ("missing column", new StringContent("{\"alcohol\": 13.2}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Missing columns 'malic_acid'"),
            ("unknown column", new StringContent(Json(i => values[i]).TrimEnd('}') + ",\"colour\":3}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Unknown column 'colour'"),
            ("text for a number", new StringContent(Json(i => i == 2 ? "\"hello\"" : values[i]), Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Column 'ash' must be a finite number"),
            ("NaN", new StringContent(Json(i => i == 0 ? "\"NaN\"" : values[i]), Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Column 'alcohol' must be a finite number"),
            ("infinity in CSV", new StringContent(string.Join(",", values[..^1].Select((v, i) => i == 1 ? "Infinity" : v)), Encoding.UTF8, "text/csv"), HttpStatusCode.BadRequest, "'malic_acid' must be a finite number"),
            ("beyond float", new StringContent(Json(i => i == 3 ? "1e300" : values[i]), Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "'alcalinity_of_ash' must be a finite single-precision"),
            ("malformed JSON", new StringContent("{\"alcohol\": 13.2,", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "not valid JSON"),
            ("JSON array", new StringContent("[1, 2]", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "one object"),
            ("nested JSON", new StringContent(Json(i => i == 0 ? "[1]" : values[i]), Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "Column 'alcohol' must be a number, a string"),
            ("short CSV row", new StringContent("1,2,3", Encoding.UTF8, "text/csv"), HttpStatusCode.BadRequest, "has 3 values"),
            ("two CSV rows", new StringContent(lines[0] + "\n" + lines[1] + "\n" + lines[2], Encoding.UTF8, "text/csv"), HttpStatusCode.BadRequest, "one row"),
            ("an image", Bytes(ServiceModels.Png(8, 8, 0), "image/png"), HttpStatusCode.UnsupportedMediaType, "image/png"),
        };
        foreach (var (name, content, status, says) in cases)
            await AssertRefused(_wineClient, name, content, status, says);

        // An empty CSV field is a missing value (the training mean), as in deepext's CSV files: answered.
        var missing = await PostJson(_wineClient, new StringContent(string.Join(",", values[..^1].Select((v, i) => i == 4 ? "" : v)), Encoding.UTF8, "text/csv"));
        Assert.IsTrue(missing.TryGetProperty("predictedLabel", out _));
    }

    [TestMethod]
    public void AMissingOrDamagedModelStopsStartUpNamingTheFile()
    {
        string missing = ServiceModels.File("nowhere.zip");
        using (var factory = new ServiceFactory(missing))
        {
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => factory.CreateClient());
            StringAssert.Contains(e.Message, missing);
        }
        string damaged = ServiceModels.File("damaged.zip");
        File.WriteAllText(damaged, "not a zip");
        using (var factory = new ServiceFactory(damaged))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => factory.CreateClient());
            StringAssert.Contains(e.Message, damaged);
        }
        using (var factory = new ServiceFactory(ServiceModels.Wine, ("Service:PoolSize", "-1")))
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => factory.CreateClient());
            StringAssert.Contains(e.Message, "PoolSize");
        }
    }

    private static async Task AssertRefused(HttpClient client, string name, HttpContent content, HttpStatusCode status, string says)
    {
        using (content)
        using (var response = await client.PostAsync("/predict", content))
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(status, response.StatusCode, $"{name}: {body}");
            Assert.AreEqual("application/json", response.Content.Headers.ContentType?.MediaType, name);
            Assert.IsFalse(body.Contains('\n'), $"{name}: the error is one line: {body}");
            string error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
            StringAssert.Contains(error, says, $"{name}: {error}");
        }
    }

    internal static ByteArrayContent Bytes(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static async Task<JsonElement> GetJson(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> PostJson(HttpClient client, HttpContent content)
    {
        using (content)
        using (var response = await client.PostAsync("/predict", content))
        {
            string text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
