using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// PostgreSQL only (several nodes): every second, ends this node's agent sockets whose token was revoked on another node.
/// An agent is authenticated once, at the upgrade; a revocation on the same node reaches its socket in memory
/// (<see cref="AgentConnections.Revoke"/>), one on another node only through the database. Does nothing on SQLite.
/// </summary>
internal sealed partial class AgentRevocations(
    AgentConnections connections,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    TimeProvider time,
    ILogger<AgentRevocations> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Storage.IsPostgres)
        {
            return;
        }
        using var timer = new PeriodicTimer(Interval, time);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var ids = connections.Sessions.Select(s => s.TokenId).Distinct().ToList();
                if (ids.Count == 0)
                {
                    continue;
                }
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    var revoked = await db.AgentTokens.AsNoTracking()
                        .Where(t => ids.Contains(t.Id) && t.RevokedAt != null)
                        .Select(t => t.Id)
                        .ToListAsync(stoppingToken);
                    revoked.ForEach(connections.Revoke);
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away: agents stay connected until it is back (their results wait in their buffers).
                    if (!failing)
                    {
                        LogFailed(ex);
                    }
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Warning, "Looking for agent tokens revoked on other nodes failed; trying again every second")]
    private partial void LogFailed(Exception exception);
}
