using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using Microsoft.AspNetCore.Http.Features;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Cross-site request forgery protection for every write under <c>/api/admin</c>, whatever endpoint it reaches (a
/// middleware on the path, so a new endpoint cannot be left out). A request that is not GET/HEAD and does not carry
/// an API token (so a browser may have attached the session cookie) must pass <see cref="AdminOrigin"/>'s rule when
/// it has an <c>Origin</c> (403 <c>cross_origin</c>), and a body must be <c>application/json</c> (415): a page
/// elsewhere can send only "simple" content types (text/plain, forms) without a CORS preflight, which nothing here
/// answers. Token requests come from scripts, where neither rule means anything.
/// </summary>
internal static partial class AdminWriteGuard
{
    public static IApplicationBuilder UseAdminWriteGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (!request.Path.StartsWithSegments("/api/admin") || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || AdminClaims.IsBearer(request))
        {
            await next(http);
            return;
        }
        var settings = http.RequestServices.GetRequiredService<IOptions<UptimeWatchOptions>>().Value;
        var site = AdminOrigin.SiteOrigin(request);
        if (AdminOrigin.Refused(request, site, settings.Admin.AllowedOrigins) is { } origin)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminWriteGuard).FullName!);
            LogRefusedOrigin(logger, request.Method, request.Path.Value ?? "", origin, site, http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            await RefuseAsync(http, new AdminCommandException(AdminErrorCodes.CrossOrigin,
                $"Origin \"{origin}\" may not send {request.Method} {request.Path}: only this site's own origin ({site}) and the origins in UptimeWatch:Admin:AllowedOrigins may; scripts use an API token"));
            return;
        }
        if (HasBody(request) && !request.HasJsonContentType())
        {
            var sent = request.ContentType is { Length: > 0 } type ? $"Content-Type \"{(type.Length > 100 ? type[..100] + "…" : type)}\"" : "A body without a Content-Type";
            await RefuseAsync(http, new AdminCommandException(AdminErrorCodes.UnsupportedMediaType,
                $"{sent} is not accepted by {request.Method} {request.Path}: send the body as application/json",
                new Dictionary<string, string> { ["Content-Type"] = "must be application/json" }));
            return;
        }
        await next(http);
    });

    /// <summary>Whether a body is coming: Kestrel knows (a length above zero, chunked, or an HTTP/2 stream not ended).</summary>
    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0);

    private static Task RefuseAsync(HttpContext http, AdminCommandException problem) => AdminProblems.Result(problem).ExecuteAsync(http);

    [LoggerMessage(LogLevel.Warning, "Refused an admin {Method} {Path} from origin {Origin} (this site is {SiteOrigin}) from {ClientIp}")]
    private static partial void LogRefusedOrigin(ILogger logger, string method, string path, string origin, string siteOrigin, string clientIp);
}
