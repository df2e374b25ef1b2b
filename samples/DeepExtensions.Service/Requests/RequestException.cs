namespace DeepExtensions.Service.Requests;

/// <summary>A request the service refuses: the HTTP status (4xx) and one line saying what is wrong and the rule.</summary>
public sealed class RequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static RequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
