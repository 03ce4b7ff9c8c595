using UptimeWatch.Hosting;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The admin console: plain files from <c>wwwroot/admin</c>, the page at <c>/admin</c> (and <c>/admin/</c>). It signs in
/// with the <c>/api/admin</c> endpoints and does everything else over the <c>/ws/admin</c> WebSocket.
/// </summary>
internal static class AdminConsoleUi
{
    // Only its own origin, for scripts, styles, fetches and the WebSocket ('self' matches ws:/wss: of the same host
    // and port, CSP Level 3). It shares helpers with the status page (/status/format.js), same origin too. No inline
    // script or style at all: whatever a monitor name or an error text holds, it cannot run.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    // One route: routing matches "/admin" and "/admin/" alike.
    public static WebApplication MapAdminConsoleUi(this WebApplication app) =>
        app.MapPage("admin", "/admin", ContentSecurityPolicy, "AdminConsole", "The admin console.", "/admin");
}
