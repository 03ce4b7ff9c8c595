using UptimeWatch.Hosting;

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

    public static WebApplication MapStatusPageUi(this WebApplication app) =>
        app.MapPage("status", "/status", ContentSecurityPolicy, "StatusPage", "The public status page.", "/", "/status");
}
