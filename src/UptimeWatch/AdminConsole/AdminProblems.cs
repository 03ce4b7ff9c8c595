using Microsoft.AspNetCore.Http.HttpResults;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Every error under <c>/api/admin</c>, in one shape: RFC 7807 problem details (<c>application/problem+json</c>) with
/// <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c> and the protocol's <c>code</c>; besides, the names clients
/// already read: <c>error</c> (the same sentence as <c>detail</c>), <c>fields</c> (field → problem, or null) and, when a
/// field is at fault, <c>errors</c> (field → problems). Endpoints return <see cref="Result(AdminCommandException)"/>;
/// authentication challenges and the rate limiter, outside any endpoint, use <see cref="WriteAsync"/>.
/// </summary>
internal static class AdminProblems
{
    public static ProblemHttpResult Result(AdminCommandException ex)
    {
        var extensions = new Dictionary<string, object?>
        {
            ["code"] = ex.Code,
            ["error"] = ex.Message,
            ["fields"] = ex.Fields,
        };
        if (ex.Fields is { Count: > 0 } fields)
        {
            extensions["errors"] = fields.ToDictionary(f => f.Key, f => new[] { f.Value });
        }
        return TypedResults.Problem(ex.Message, statusCode: AdminErrorCodes.HttpStatus(ex.Code), title: Title(ex.Code),
            type: $"https://uptimewatch.dev/problems/{ex.Code.Replace('_', '-')}", extensions: extensions);
    }

    public static ProblemHttpResult Result(string code, string message, IReadOnlyDictionary<string, string>? fields = null) =>
        Result(new AdminCommandException(code, message, fields));

    /// <summary>For the callers outside an endpoint, which know the status: API clients get JSON, never a redirect to a login page.</summary>
    public static Task WriteAsync(HttpContext context, int status, string error) =>
        Result(AdminErrorCodes.ForStatus(status), error).ExecuteAsync(context);

    private static string Title(string code) => code switch
    {
        AdminErrorCodes.Validation => "The request is not valid",
        AdminErrorCodes.NotFound => "Not found",
        AdminErrorCodes.ConfigManaged => "Defined in the config file",
        AdminErrorCodes.Conflict => "Conflict",
        AdminErrorCodes.Internal => "Unexpected error",
        AdminErrorCodes.CrossOrigin => "Cross-origin request refused",
        AdminErrorCodes.UnsupportedMediaType => "Unsupported media type",
        AdminErrorCodes.Unauthorized => "Not signed in",
        AdminErrorCodes.Forbidden => "Not allowed",
        AdminErrorCodes.TooManyRequests => "Too many requests",
        AdminErrorCodes.Unavailable => "Busy",
        _ => "Bad request",
    };
}
