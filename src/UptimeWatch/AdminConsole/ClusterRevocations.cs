using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// PostgreSQL only (several nodes): every <see cref="Interval"/>, ends this node's admin WebSockets whose session,
/// password or token was revoked on another node. HTTP requests need none of this (each re-reads the database); a
/// socket is authenticated once, at the upgrade, and on one node hears revocations in memory
/// (<see cref="AdminSessions"/>), which a revocation on another node never reaches. Does nothing on SQLite.
/// </summary>
internal sealed partial class ClusterRevocations(
    AdminSessions sessions,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    TimeProvider time,
    ILogger<ClusterRevocations> logger) : BackgroundService
{
    /// <summary>How stale a socket's credentials can be on another node than the one that revoked them.</summary>
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
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    await sessions.RevokeEndedElsewhereAsync(db, stoppingToken);
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away: sockets keep running until it is back (HTTP requests fail meanwhile).
                    // Said once per outage, not every second.
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

    [LoggerMessage(LogLevel.Warning, "Looking for sessions ended on other nodes failed; trying again every second")]
    private partial void LogFailed(Exception exception);
}
