using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Journal;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// <c>GET /ws/admin</c>: the console's WebSocket (docs/admin-protocol.md). Authorization (cookie or token) runs first,
/// then the Origin check, then the upgrade; the connection itself is an <see cref="AdminSocket"/>.
/// </summary>
internal static partial class AdminSocketEndpoint
{
    public const string Path = "/ws/admin";

    /// <summary>
    /// Pings every <see cref="AdminOptions.KeepAliveSeconds"/>; a peer that has not answered one within as many seconds
    /// more is dropped. The same for the middleware and each accepted socket.
    /// </summary>
    public static (TimeSpan Interval, TimeSpan Timeout) KeepAlive(AdminOptions admin) =>
        (TimeSpan.FromSeconds(admin.KeepAliveSeconds), TimeSpan.FromSeconds(admin.KeepAliveSeconds));

    public static IEndpointRouteBuilder MapAdminSocket(this IEndpointRouteBuilder app)
    {
        // CONNECT too: over HTTP/2 (RFC 8441) browsers open WebSockets with CONNECT rather than GET.
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Connect], AcceptAsync).RequireAuthorization(AdminClaims.Policy).WithName("AdminSocket").WithTags("Admin")
            .WithSummary("The admin WebSocket: commands, replies and live pushes (see docs/admin-protocol.md).")
            .ExcludeFromDescription();
        return app;
    }

    internal static async Task AcceptAsync(HttpContext http, AdminCommands commands, JournalReader log, IDbContextFactory<UptimeWatchDbContext> dbFactory,
        EventHub hub, AdminSessions sessions, Telemetry.UptimeWatchMetrics metrics,
        IOptions<UptimeWatchOptions> options, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AdminSocket).FullName!);
        var settings = options.Value;
        // Browsers send the cookie with a cross-site WebSocket upgrade too (SameSite does not cover every case, e.g.
        // a sibling subdomain is same-site), so the Origin is what tells a page of this site from anyone else's.
        var site = AdminOrigin.SiteOrigin(http.Request);
        if (AdminOrigin.Refused(http.Request, site, settings.Admin.AllowedOrigins) is { } origin)
        {
            LogRefusedOrigin(logger, origin, site, ClientKey.Address(http));
            await AdminProblems.WriteAsync(http, StatusCodes.Status403Forbidden,
                $"Origin \"{origin}\" may not open the admin WebSocket: only this site's own origin ({site}) and the origins in UptimeWatch:Admin:AllowedOrigins may");
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await AdminProblems.WriteAsync(http, StatusCodes.Status400BadRequest,
                "This is the admin WebSocket: open it with a WebSocket client (GET with \"Upgrade: websocket\")");
            return;
        }

        // Made before the upgrade, so a revocation from here on is heard; disposing it unhooks the socket again.
        using var ended = sessions.CreateEndedSource(http.User, http.RequestAborted);
        await using (var db = await dbFactory.CreateDbContextAsync(http.RequestAborted))
        {
            if (!await AdminSessions.StillValidAsync(http.User, db, http.RequestAborted))
            {
                // Revoked between this request's sign-in check and the line above.
                await AdminProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, "The session or token has just been revoked: sign in again");
                return;
            }
        }
        var keepAlive = KeepAlive(settings.Admin);
        using var webSocket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = keepAlive.Interval,
            KeepAliveTimeout = keepAlive.Timeout,
        });
        var by = AdminApi.By(http.User);
        var client = ClientKey.Address(http);
        LogOpened(logger, by, client);
        using var counted = metrics.Connected("websocket");
        var socket = new AdminSocket(webSocket, commands, log, hub, settings.Live.ClientQueueSize, settings.Admin.MaxMessageBytes, by,
            json.Value.SerializerOptions, logger);
        var closed = await socket.RunAsync(ended.Token, http.RequestAborted, lifetime.ApplicationStopping);
        LogClosed(logger, by, client, closed is { } code ? (int)code : null);
    }

    [LoggerMessage(LogLevel.Warning, "Refused an admin WebSocket from origin {Origin} (this site is {SiteOrigin}) from {ClientIp}")]
    private static partial void LogRefusedOrigin(ILogger logger, string origin, string siteOrigin, string clientIp);

    [LoggerMessage(LogLevel.Information, "Admin WebSocket opened by {By} from {ClientIp}")]
    private static partial void LogOpened(ILogger logger, string by, string clientIp);

    [LoggerMessage(LogLevel.Information, "Admin WebSocket of {By} from {ClientIp} closed with {CloseCode}")]
    private static partial void LogClosed(ILogger logger, string by, string clientIp, int? closeCode);
}
