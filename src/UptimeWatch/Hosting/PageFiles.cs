using Microsoft.Extensions.FileProviders;

namespace UptimeWatch.Hosting;

/// <summary>
/// A page made of plain files (no build step): its folder under <c>wwwroot</c> served at a path, every file with the
/// page's Content Security Policy. Shared by the status page and the admin console. The files of <c>wwwroot/shared</c>
/// (the base stylesheet both pages link first) are served under each page's path too, so one copy on disk serves
/// both pages, each with its own headers.
/// </summary>
internal static class PageFiles
{
    /// <summary>
    /// The page's files (see <see cref="UsePageFiles"/>) and its index.html at every one of <paramref name="routes"/>,
    /// none of them in the API description; the first route carries <paramref name="name"/> and <paramref name="summary"/>.
    /// </summary>
    public static WebApplication MapPage(this WebApplication app, string folder, string requestPath, string contentSecurityPolicy,
        string name, string summary, params string[] routes)
    {
        var serveIndex = app.UsePageFiles(folder, requestPath, contentSecurityPolicy);
        for (var i = 0; i < routes.Length; i++)
        {
            var route = app.MapGet(routes[i], (HttpContext context) => serveIndex(context));
            if (i == 0)
            {
                route.WithName(name).WithSummary(summary);
            }
            route.ExcludeFromDescription();
        }
        return app;
    }

    /// <summary>
    /// Serves <c>wwwroot/{folder}</c> and <c>wwwroot/shared</c> under <paramref name="requestPath"/> (the page's own file
    /// first where both have one); returns a handler for its index.html.
    /// </summary>
    private static Func<HttpContext, IResult> UsePageFiles(this WebApplication app, string folder, string requestPath,
        string contentSecurityPolicy)
    {
        // The files are copied next to the binary, and the host's content root is AppContext.BaseDirectory;
        // rooting the provider there (not at the web root) works the same under `dotnet run`, the published
        // binary and WebApplicationFactory, whose content root is the project folder.
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot", folder);
        if (!File.Exists(Path.Combine(root, "index.html")))
        {
            throw new InvalidOperationException($"The {folder} page files are missing: no index.html in {root}");
        }
        var shared = Path.Combine(AppContext.BaseDirectory, "wwwroot", "shared");
        if (!Directory.Exists(shared))
        {
            throw new InvalidOperationException($"The pages' shared files are missing: no folder {shared}");
        }
        var files = new PhysicalFileProvider(root);
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = requestPath,
            FileProvider = new CompositeFileProvider(files, new PhysicalFileProvider(shared)),
            // Also {requestPath}/index.html gets the policy, not only the page's own route.
            OnPrepareResponse = context => SetHeaders(context.Context, contentSecurityPolicy),
        });

        var index = files.GetFileInfo("index.html");
        return context =>
        {
            SetHeaders(context, contentSecurityPolicy);
            return TypedResults.PhysicalFile(index.PhysicalPath!, "text/html; charset=utf-8",
                lastModified: index.LastModified, enableRangeProcessing: false);
        };
    }

    private static void SetHeaders(HttpContext context, string contentSecurityPolicy)
    {
        // Revalidate every time: small pages, and an upgrade must never leave old scripts with a new API.
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "same-origin";
    }
}
