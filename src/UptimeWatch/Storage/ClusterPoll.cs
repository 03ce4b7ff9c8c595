using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Storage;

/// <summary>
/// PostgreSQL only (several nodes): reads the database every <see cref="Interval"/> for what another node did that this
/// node must act on in memory (credentials revoked there, whose sockets are open here). While the database is away, the
/// failure is logged once per outage, not every second, and polling goes on. Does nothing on SQLite (one node).
/// </summary>
internal abstract partial class ClusterPoll(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    TimeProvider time,
    ILogger logger) : BackgroundService
{
    /// <summary>How stale this node's view can be of what another node did.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>What is looked for, for the log line when it fails ("sessions ended on other nodes").</summary>
    protected abstract string Looking { get; }

    /// <summary>False skips a round without a query (nothing open that another node could have revoked).</summary>
    protected virtual bool HasWork => true;

    protected abstract Task PollAsync(UptimeWatchDbContext db, CancellationToken cancellationToken);

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
                if (!HasWork)
                {
                    continue;
                }
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    await PollAsync(db, stoppingToken);
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away: what is open stays open until it is back (HTTP requests fail meanwhile).
                    if (!failing)
                    {
                        LogFailed(logger, ex, Looking);
                    }
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Warning, "Looking for {Looking} failed; trying again every second")]
    private static partial void LogFailed(ILogger logger, Exception exception, string looking);
}
