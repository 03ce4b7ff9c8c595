using System.Net.WebSockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.AdminConsole;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// <c>GET /ws/agent</c>: where probe agents connect (docs/agent-protocol.md). The agent token is checked here, before
/// the upgrade; the connection itself is an <see cref="AgentSocket"/>.
/// </summary>
internal static partial class AgentSocketEndpoint
{
    public static IEndpointRouteBuilder MapAgentSocket(this IEndpointRouteBuilder app)
    {
        app.MapMethods(AgentProtocol.Path, [HttpMethods.Get, HttpMethods.Connect], AcceptAsync).WithName("AgentSocket").WithTags("Agents")
            .WithSummary("Where probe agents connect with an agent token (see docs/agent-protocol.md).")
            .ExcludeFromDescription();
        return app;
    }

    internal static async Task AcceptAsync(HttpContext http, IDbContextFactory<UptimeWatchDbContext> dbFactory, AgentConnections connections,
        AgentResultsHandler results, MonitorRegistry registry, Telemetry.UptimeWatchMetrics metrics, IOptions<UptimeWatchOptions> options,
        TimeProvider time, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AgentSocket).FullName!);
        var client = ClientKey.Address(http);
        // Browsers always send an Origin with a WebSocket upgrade, agents never do: no web page may speak for an agent.
        if (http.Request.Headers.Origin is { Count: > 0 } origin)
        {
            LogRefusedOrigin(logger, origin.ToString(), client);
            await AdminProblems.WriteAsync(http, StatusCodes.Status403Forbidden,
                $"Origin \"{origin}\" may not open the agent WebSocket: agents send no Origin, browsers always do");
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await AdminProblems.WriteAsync(http, StatusCodes.Status400BadRequest,
                "This is the agent WebSocket: UptimeWatch agents open it with \"Upgrade: websocket\"");
            return;
        }
        var cancellationToken = http.RequestAborted;
        if (await AuthenticateAsync(http, dbFactory, time, cancellationToken) is not { } agent)
        {
            LogRefusedToken(logger, client);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await AdminProblems.WriteAsync(http, StatusCodes.Status401Unauthorized,
                "Send a valid, unrevoked agent token as \"Authorization: Bearer uw_agent_…\" (made in the console: Settings, Probe agents)");
            return;
        }

        if (agent.Revoked)
        {
            // A token this server made and then revoked: the socket opens only to say so (1008), which tells the agent to
            // stop rather than try again as it does after a 401.
            LogRevokedTokenUsed(logger, agent.TokenId, agent.Location, client);
            using var refused = await http.WebSockets.AcceptWebSocketAsync();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await refused.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, AgentCloseReasons.Revoked, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
            return;
        }

        var session = new AgentSession(agent.TokenId, agent.LocationId, agent.Location, time.GetUtcNow());
        // Added before the upgrade, so a revocation from here on is heard (and one just before it is checked again below).
        using var registered = connections.Add(session);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (await db.AgentTokens.AnyAsync(t => t.Id == agent.TokenId && t.RevokedAt != null, cancellationToken))
            {
                await AdminProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, "The agent token has just been revoked");
                return;
            }
        }
        var keepAlive = TimeSpan.FromSeconds(options.Value.Admin.KeepAliveSeconds);
        using var webSocket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = keepAlive,
            KeepAliveTimeout = keepAlive,
        });
        using var counted = metrics.Connected("agent");
        LogOpened(logger, agent.Location, agent.TokenId, client);
        var socket = new AgentSocket(webSocket, session, results, registry, time, logger);
        var named = http.Request.Headers[AgentProtocol.LocationHeader].ToString();
        var closed = await socket.RunAsync(named, cancellationToken, lifetime.ApplicationStopping);
        LogClosed(logger, agent.Location, agent.TokenId, client, closed is { } code ? (int)code : null, session.EndReason ?? socket.CloseReason);
    }

    private sealed record Authenticated(int TokenId, int LocationId, string Location, bool Revoked);

    private sealed record StoredAgentToken(int Id, string Hash, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, int LocationId,
        string Location) : IStoredToken;

    private static async Task<Authenticated?> AuthenticateAsync(HttpContext http, IDbContextFactory<UptimeWatchDbContext> dbFactory, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (outcome, token) = await BearerTokens.FindAsync(http.Request, AgentTokens.Secret, db.AgentTokens,
            tokens => tokens.Join(db.Locations, t => t.LocationId, l => l.Id,
                (t, l) => new StoredAgentToken(t.Id, t.Hash, t.RevokedAt, t.LastUsedAt, t.LocationId, l.Name)),
            time, cancellationToken);
        return outcome is BearerOutcome.Valid or BearerOutcome.Revoked
            ? new Authenticated(token!.Id, token.LocationId, token.Location, Revoked: outcome == BearerOutcome.Revoked)
            : null;
    }

    [LoggerMessage(LogLevel.Warning, "Refused an agent WebSocket with an Origin ({Origin}) from {ClientIp}")]
    private static partial void LogRefusedOrigin(ILogger logger, string origin, string clientIp);

    [LoggerMessage(LogLevel.Warning, "Refused an agent WebSocket from {ClientIp}: no valid agent token")]
    private static partial void LogRefusedToken(ILogger logger, string clientIp);

    [LoggerMessage(LogLevel.Warning, "Refused the agent of {Location} from {ClientIp}: its token {TokenId} was revoked (closed with 1008)")]
    private static partial void LogRevokedTokenUsed(ILogger logger, int tokenId, string location, string clientIp);

    [LoggerMessage(LogLevel.Information, "Agent of {Location} (token {TokenId}) connected from {ClientIp}")]
    private static partial void LogOpened(ILogger logger, string location, int tokenId, string clientIp);

    [LoggerMessage(LogLevel.Information, "Agent of {Location} (token {TokenId}) from {ClientIp} disconnected with {CloseCode}: {Reason}")]
    private static partial void LogClosed(ILogger logger, string location, int tokenId, string clientIp, int? closeCode, string? reason);
}
