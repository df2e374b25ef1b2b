using Microsoft.AspNetCore.Http.Features;

namespace DeepExtensions.Service.Requests;

/// <summary>Reads a request body into memory, refusing it (413) past the configured limit and (400) when empty.</summary>
public static class RequestBody
{
    /// <summary>The whole body, at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="RequestException">413 when the body is larger than <paramref name="maxBytes"/>; 400 when it is empty.</exception>
    public static async Task<byte[]> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
            throw TooLarge(request.ContentLength.Value, maxBytes);
        // Kestrel stops reading past the limit too (its own 413), so a client cannot stream more than this.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;

        using var buffer = new MemoryStream(request.ContentLength is > 0 and long length ? (int)length : 4096);
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    throw TooLarge(null, maxBytes);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(null, maxBytes);
        }
        if (buffer.Length == 0)
            throw RequestException.BadRequest("The request body is empty: POST an image, a CSV row or a JSON object of feature values (GET /model says which).");
        return buffer.ToArray();
    }

    private static RequestException TooLarge(long? length, long maxBytes) => new(StatusCodes.Status413PayloadTooLarge,
        $"The request body is {(length is { } n ? $"{n:N0} bytes" : "larger than the limit")}; the limit is {maxBytes:N0} bytes (Service:MaxRequestBytes, --max-request-bytes).");
}
