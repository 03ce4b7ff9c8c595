using Microsoft.Extensions.FileProviders;

namespace UptimeWatch.StatusPage;

/// <summary>
/// The public status page: plain files from <c>wwwroot/status</c>, the page itself at <c>/</c> and <c>/status</c>,
/// its scripts and styles under <c>/status/…</c>.
/// </summary>
internal static class StatusPageUi
{
    // The page only talks to its own origin; a logo may come from anywhere. A name that slips past the
    // DOM-building code still cannot run a script.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' https: http: data:; script-src 'self'; style-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static WebApplication MapStatusPageUi(this WebApplication app)
    {
        // The files are copied next to the binary, and the host's content root is AppContext.BaseDirectory;
        // rooting the provider there (not at the web root) works the same under `dotnet run`, the published
        // binary and WebApplicationFactory, whose content root is the project folder.
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot", "status");
        if (!File.Exists(Path.Combine(root, "index.html")))
        {
            throw new InvalidOperationException($"The status page files are missing: no index.html in {root}");
        }
        var files = new PhysicalFileProvider(root);

        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/status",
            FileProvider = files,
            // Revalidate every time: a small page, and an upgrade must never leave old scripts with a new API.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });

        var index = files.GetFileInfo("index.html");
        app.MapGet("/", ServeIndex).WithName("StatusPage").WithSummary("The public status page.").ExcludeFromDescription();
        app.MapGet("/status", ServeIndex).ExcludeFromDescription();
        return app;

        IResult ServeIndex(HttpContext context)
        {
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "same-origin";
            return TypedResults.PhysicalFile(index.PhysicalPath!, "text/html; charset=utf-8",
                lastModified: index.LastModified, enableRangeProcessing: false);
        }
    }
}
