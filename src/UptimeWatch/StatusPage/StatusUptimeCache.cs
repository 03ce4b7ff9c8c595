using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>
/// <c>/api/status</c>'s <c>uptime24h</c> of each public monitor: a GROUP BY over a day of raw checks (2,880 rows per
/// monitor at a 30 s interval), built once and shared by every request instead of run for each one. The live fields
/// (status, last check, response time, overall) are read from the monitor rows per request, as on the page snapshot.
/// </summary>
/// <remarks>
/// Rebuilt when it is <see cref="MaxAge"/> old; when the event log has grown since it was built (a status change
/// moves the uptime too), but not more than once per <see cref="MinAge"/> so a storm of changes cannot turn every
/// request into a rebuild; and when asked for a monitor it does not hold (added, or made public). One build at a
/// time: while it runs, other visitors get the previous build, so a burst after it expires costs one query.
/// </remarks>
internal sealed class StatusUptimeCache(IDbContextFactory<UptimeWatchDbContext> dbFactory)
{
    /// <summary>The longest the percentages lag behind the checks.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    /// <summary>The shortest time between two builds caused by new events.</summary>
    public static readonly TimeSpan MinAge = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _building = new(1, 1);
    private Entry? _entry;

    /// <summary>Uptime over the 24 h before <paramref name="now"/> of each of <paramref name="monitorIds"/>; null without checks.</summary>
    /// <param name="newestEventId">The newest event id now: a build older than it is replaced (after <see cref="MinAge"/>).</param>
    public async ValueTask<IReadOnlyDictionary<int, double?>> GetAsync(IReadOnlyCollection<int> monitorIds, long newestEventId,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = Volatile.Read(ref _entry);
        if (Usable(entry, monitorIds, newestEventId, now) is { } hit)
        {
            return hit;
        }
        if (!_building.Wait(0, CancellationToken.None))
        {
            // A build is running: the visitors meanwhile get the previous one when it holds their monitors (seconds
            // of a GROUP BY under load, times 200 waiting visitors, were the p95 of the bench). The request that
            // found it stale builds, and waits for it.
            if (entry is not null && monitorIds.All(entry.Uptime.ContainsKey))
            {
                return entry.Uptime;
            }
            await _building.WaitAsync(cancellationToken);
        }
        try
        {
            if (Usable(_entry, monitorIds, newestEventId, now) is { } built)
            {
                return built;
            }
            var uptime = await BuildAsync(monitorIds, now, cancellationToken);
            Volatile.Write(ref _entry, new Entry(now, newestEventId, uptime));
            return uptime;
        }
        finally
        {
            _building.Release();
        }
    }

    private static IReadOnlyDictionary<int, double?>? Usable(Entry? entry, IReadOnlyCollection<int> monitorIds, long newestEventId, DateTimeOffset now)
    {
        if (entry is null)
        {
            return null;
        }
        var age = now - entry.BuiltAt;
        var fresh = age < MaxAge && (entry.NewestEventId >= newestEventId || age < MinAge);
        return fresh && monitorIds.All(entry.Uptime.ContainsKey) ? entry.Uptime : null;
    }

    private async Task<Dictionary<int, double?>> BuildAsync(IReadOnlyCollection<int> monitorIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = monitorIds.ToList();
        var since = now.AddHours(-24);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.CheckResults.AsNoTracking()
            // Same rule as the rollups: maintenance and missed slots count neither as up nor as down.
            .Where(c => ids.Contains(c.MonitorId) && c.At >= since && c.Outcome != CheckOutcome.Missed && !c.InMaintenance)
            .GroupBy(c => c.MonitorId)
            .Select(g => new { MonitorId = g.Key, Total = g.Count(), Up = g.Count(c => c.Outcome != CheckOutcome.Down) })
            .ToDictionaryAsync(x => x.MonitorId, cancellationToken);
        // Every monitor asked for gets an entry (null without checks), so "held" means "asked for before".
        return ids.ToDictionary(id => id, id => counts.TryGetValue(id, out var u) && u.Total > 0 ? Math.Round(100.0 * u.Up / u.Total, 3) : (double?)null);
    }

    private sealed record Entry(DateTimeOffset BuiltAt, long NewestEventId, IReadOnlyDictionary<int, double?> Uptime);
}
