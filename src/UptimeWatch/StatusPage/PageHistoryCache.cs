using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>
/// The history half of the status page (uptime, 90 daily bars, 24 hourly points) per public monitor, as ready UTF-8
/// JSON. It depends only on the rollup rows and on the current UTC hour, so it is built once per rollup run and hour
/// instead of from ~11,000 rows on every request; the live half (status, last check, cursor) is read per request.
/// </summary>
/// <remarks>
/// One entry, holding only the monitors the last build was asked for (the public ones), so the memory is about one
/// page of history (~2 KB per public monitor). It is rebuilt when the rollup job finished a run
/// (<see cref="Invalidate"/>), when the UTC hour turns, or when a monitor is asked for that it does not hold
/// (added, or made public). Monitors it holds but the page no longer lists (made private, archived) are never
/// written: the page asks only for the monitors it shows.
/// </remarks>
internal sealed class PageHistoryCache(IDbContextFactory<UptimeWatchDbContext> dbFactory, IOptions<JsonOptions> json)
{
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;
    private readonly SemaphoreSlim _building = new(1, 1);
    private long _generation;
    private Entry? _entry;

    /// <summary>Rollups changed: the next read builds the history again.</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);

    /// <summary>The history of each of <paramref name="monitorIds"/> as of <paramref name="now"/>'s hour.</summary>
    public async ValueTask<IReadOnlyDictionary<int, MonitorHistoryJson>> GetAsync(IReadOnlyCollection<int> monitorIds, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var hour = RollupMath.HourOf(now);
        if (Usable(Volatile.Read(ref _entry), hour, monitorIds) is { } hit)
        {
            return hit;
        }
        // One build at a time: when the hour turns under a burst of visitors, one of them reads the rollups.
        await _building.WaitAsync(cancellationToken);
        try
        {
            if (Usable(_entry, hour, monitorIds) is { } built)
            {
                return built;
            }
            // Taken before reading: a run that finishes while this build reads leaves it stale, never current.
            var generation = Interlocked.Read(ref _generation);
            var monitors = await BuildAsync(monitorIds, now, cancellationToken);
            Volatile.Write(ref _entry, new Entry(generation, hour, monitors));
            return monitors;
        }
        finally
        {
            _building.Release();
        }
    }

    private IReadOnlyDictionary<int, MonitorHistoryJson>? Usable(Entry? entry, DateTimeOffset hour, IReadOnlyCollection<int> monitorIds) =>
        entry is not null && entry.Generation == Interlocked.Read(ref _generation) && entry.Hour == hour
            && monitorIds.All(entry.Monitors.ContainsKey)
            ? entry.Monitors
            : null;

    private async Task<Dictionary<int, MonitorHistoryJson>> BuildAsync(IReadOnlyCollection<int> monitorIds, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ids = monitorIds.ToList();
        var firstDay = RollupQueries.FirstDay(now, RollupQueries.Days);
        var firstHour = RollupQueries.FirstHour(now);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var daily = (await db.DailyRollups.AsNoTracking()
                .Where(r => ids.Contains(r.MonitorId) && r.Start >= firstDay)
                .ToListAsync(cancellationToken))
            .ToLookup(r => r.MonitorId);
        var hourly = (await db.HourlyRollups.AsNoTracking()
                .Where(r => ids.Contains(r.MonitorId) && r.Start >= firstHour)
                .ToListAsync(cancellationToken))
            .ToLookup(r => r.MonitorId);

        var monitors = new Dictionary<int, MonitorHistoryJson>(ids.Count);
        foreach (var id in ids)
        {
            var days = daily[id].ToDictionary(r => r.Start);
            var hours = hourly[id].ToDictionary(r => r.Start);
            var uptime = new UptimeDto(
                RollupQueries.Uptime(hours.Values, firstHour),
                RollupQueries.Uptime(days.Values, RollupQueries.FirstDay(now, 7)),
                RollupQueries.Uptime(days.Values, RollupQueries.FirstDay(now, 30)),
                RollupQueries.Uptime(days.Values, firstDay));
            monitors[id] = new MonitorHistoryJson(
                JsonSerializer.SerializeToUtf8Bytes(uptime, _json),
                JsonSerializer.SerializeToUtf8Bytes(Days(firstDay, days), _json),
                JsonSerializer.SerializeToUtf8Bytes(Points(firstHour, hours), _json));
        }
        return monitors;
    }

    private static DaysDto Days(DateTimeOffset firstDay, Dictionary<DateTimeOffset, Rollup> rows)
    {
        var uptime = new double?[RollupQueries.Days];
        int[] checks = new int[RollupQueries.Days], failures = new int[RollupQueries.Days],
            incidents = new int[RollupQueries.Days], maintenance = new int[RollupQueries.Days];
        for (var i = 0; i < RollupQueries.Days; i++)
        {
            if (rows.GetValueOrDefault(firstDay.AddDays(i)) is { } r)
            {
                (uptime[i], checks[i], failures[i], incidents[i], maintenance[i]) =
                    (RollupMath.UptimePercent(r), r.Checks, r.Failures, r.Incidents, r.Maintenance);
            }
        }
        return new DaysDto(DateOnly.FromDateTime(firstDay.UtcDateTime), uptime, checks, failures, incidents, maintenance);
    }

    private static ResponseTimesDto Points(DateTimeOffset firstHour, Dictionary<DateTimeOffset, Rollup> rows)
    {
        int?[] avg = new int?[RollupQueries.Hours], p95 = new int?[RollupQueries.Hours], max = new int?[RollupQueries.Hours];
        for (var i = 0; i < RollupQueries.Hours; i++)
        {
            if (rows.GetValueOrDefault(firstHour.AddHours(i)) is { TimedChecks: > 0 } r)
            {
                (avg[i], p95[i], max[i]) = ((int)Math.Round((double)r.SumMs / r.TimedChecks), r.P95Ms, r.MaxMs);
            }
        }
        return new ResponseTimesDto(firstHour, avg, p95, max);
    }

    private sealed record Entry(long Generation, DateTimeOffset Hour, IReadOnlyDictionary<int, MonitorHistoryJson> Monitors);
}

/// <summary>One monitor's <c>uptime</c>, <c>days</c> and <c>responseTimes</c> values, serialized.</summary>
internal sealed record MonitorHistoryJson(byte[] Uptime, byte[] Days, byte[] ResponseTimes);
