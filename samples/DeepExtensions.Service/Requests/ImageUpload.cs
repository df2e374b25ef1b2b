using DeepExtensions.Service.Scoring;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.ML.DeepExtensions.Vision.Imaging;
using Microsoft.Net.Http.Headers;

namespace DeepExtensions.Service.Requests;

/// <summary>
/// The image of a <c>POST /predict</c>: the first file of a <c>multipart/form-data</c> upload (<c>curl -F
/// image=@photo.jpg</c>) or the raw body with an <c>image/*</c> or <c>application/octet-stream</c> content type
/// (<c>curl --data-binary @photo.jpg -H "Content-Type: image/jpeg"</c>). The format is read from the bytes
/// (<see cref="ImageFile.Decode"/>), so a mislabelled image is still read and a file that is no image is refused.
/// </summary>
public static class ImageUpload
{
    /// <summary>Decodes the image of a request whose body is <paramref name="body"/>.</summary>
    /// <exception cref="RequestException">415 for another content type; 400 for a body without an image, or bytes that are no readable image.</exception>
    public static async Task<ImageRequest> ReadAsync(string? contentType, byte[] body, long maxPixels, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
            throw Unsupported(contentType);
        var (bytes, name) = mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? await FirstFileAsync(mediaType, body, cancellationToken)
            : mediaType.Type.Equals("image", StringComparison.OrdinalIgnoreCase) || mediaType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
                ? (body, null)
                : throw Unsupported(contentType);
        try
        {
            return new ImageRequest(ImageFile.Decode(bytes, name ?? "request body", maxPixels), name);
        }
        catch (InvalidDataException e)
        {
            throw RequestException.BadRequest(e.Message);
        }
    }

    private static async Task<(byte[] Bytes, string? Name)> FirstFileAsync(MediaTypeHeaderValue mediaType, byte[] body, CancellationToken cancellationToken)
    {
        string boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value
            ?? throw RequestException.BadRequest("The multipart/form-data request has no boundary in its Content-Type.");
        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                    continue;
                using var file = new MemoryStream();
                await section.Body.CopyToAsync(file, cancellationToken);
                string? name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                return (file.ToArray(), string.IsNullOrEmpty(name) ? null : Path.GetFileName(name));
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw RequestException.BadRequest($"The multipart/form-data body is malformed: {e.Message}");
        }
        throw RequestException.BadRequest("The multipart/form-data request has no file part: upload the image as a file (curl -F image=@photo.jpg).");
    }

    private static RequestException Unsupported(string? contentType) => new(StatusCodes.Status415UnsupportedMediaType,
        $"Content-Type '{contentType}' is not accepted by an image model: send multipart/form-data with a file, or the image with Content-Type image/* or application/octet-stream.");
}
