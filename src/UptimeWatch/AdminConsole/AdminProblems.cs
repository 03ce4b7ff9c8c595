using UptimeWatch.Hosting;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Error bodies written outside an endpoint (authentication challenges, the rate limiter), in the same shape as the
/// endpoints' <see cref="ProblemResponse"/>: API clients get JSON, never a redirect to a login page.
/// </summary>
internal static class AdminProblems
{
    public static Task WriteAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ProblemResponse(error, null), context.RequestAborted);
    }
}
