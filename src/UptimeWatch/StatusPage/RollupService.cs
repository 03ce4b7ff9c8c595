using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>
/// Rolls raw checks up into hourly and daily aggregates, then prunes what retention no longer keeps.
/// Idempotent: a period is always recomputed whole and its row replaced, so running again changes nothing.
/// </summary>
/// <remarks>
/// Which hours: per monitor, from its newest hourly row, or from the hour <see cref="LateWriteAllowance"/> ago if
/// that is earlier (a check written a little late still lands in a recomputed hour), up to the current, partial
/// hour, so the page is at most one run behind. A monitor with no rollups yet starts at its oldest raw check.
/// Looking back only minutes, not hours, means a finished day is re-read from raw (for its exact p95) by one or
/// two runs after midnight, not by every run of the next hour. Hours whose raw checks are already pruned are never
/// recomputed, so an archived monitor's history is left as it is.
/// Monitors that start from the same hour are recomputed together, <see cref="MonitorsPerTransaction"/> per day in one
/// short transaction: SQLite has one writer and the check writer must not wait long.
/// </remarks>
internal sealed partial class RollupService(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    PageHistoryCache pageHistory,
    TimeProvider time,
    ILogger<RollupService> logger)
{
    /// <summary>Rows per delete statement: small transactions, so check writes are never held up for long.</summary>
    public const int DeleteBatchSize = 5_000;

    /// <summary>
    /// Monitors whose day is recomputed in one transaction (and read in one query per kind of row): a transaction per
    /// monitor-day was 10,000 commits per run at 10,000 monitors, 3 minutes of a first run on PostgreSQL, where every
    /// commit waits for its flush. The raw rows are read one monitor at a time; a full day of 64 monitors is at most
    /// ~1,600 rows written: still a short hold on SQLite's one writer.
    /// </summary>
    public const int MonitorsPerTransaction = 64;

    /// <summary>
    /// How late a check may be written and still be counted: two job intervals. The writer commits within
    /// seconds; only a check held up longer than this (a long disk outage) is left out of its hour.
    /// </summary>
    public static readonly TimeSpan LateWriteAllowance = 2 * RollupJob.Interval;

    public async Task<RollupRun> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var retention = options.Value.Retention;
        // On hour boundaries, so an hour's raw checks are either all there or all gone.
        var rawCutoff = RollupMath.HourOf(now.AddDays(-retention.RawDays));
        var rollupCutoff = RollupMath.DayOf(now.AddDays(-retention.RollupDays));

        int hours;
        (int Checks, int Rollups, int Events) pruned;
        try
        {
            hours = await RollUpAsync(now, rawCutoff, cancellationToken);
            // Only reached when every monitor was rolled up: raw rows are never deleted before their hour is aggregated.
            pruned = await PruneAsync(rawCutoff, rollupCutoff, cancellationToken);
        }
        finally
        {
            // Also after a failed run: the days it did replace are newer than what the page holds.
            pageHistory.Invalidate();
        }
        var run = new RollupRun(hours, pruned.Checks, pruned.Rollups, pruned.Events);
        LogRun(run.Hours, run.PrunedChecks, run.PrunedRollups, run.PrunedEvents);
        return run;
    }

    private async Task<int> RollUpAsync(DateTimeOffset now, DateTimeOffset rawCutoff, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Archived monitors too: their last raw checks must be aggregated before they are pruned.
        var monitorIds = await db.Monitors.AsNoTracking().Select(m => m.Id).ToListAsync(cancellationToken);
        var newest = await db.HourlyRollups.AsNoTracking()
            .GroupBy(r => r.MonitorId)
            .Select(g => new { MonitorId = g.Key, Start = g.Max(r => r.Start) })
            .ToDictionaryAsync(x => x.MonitorId, x => x.Start, cancellationToken);

        // Each monitor's first hour to recompute; monitors that share it (every checked monitor, in a steady run; every
        // monitor started together, in a first one) are rolled up together, a chunk at a time.
        var starts = new List<(int MonitorId, DateTimeOffset From)>(monitorIds.Count);
        foreach (var monitorId in monitorIds)
        {
            if (newest.TryGetValue(monitorId, out var latest))
            {
                starts.Add((monitorId, Max(Min(latest, RollupMath.HourOf(now - LateWriteAllowance)), rawCutoff)));
                continue;
            }
            var first = await db.CheckResults.AsNoTracking()
                .Where(c => c.MonitorId == monitorId)
                .OrderBy(c => c.At)
                .Select(c => new { c.At })
                .FirstOrDefaultAsync(cancellationToken);
            if (first is not null)
            {
                starts.Add((monitorId, RollupMath.HourOf(first.At)));
            }
        }

        var hours = 0;
        var end = RollupMath.HourOf(now).AddHours(1);
        foreach (var group in starts.GroupBy(s => s.From))
        {
            var from = group.Key;
            foreach (var chunk in group.Select(s => s.MonitorId).Chunk(MonitorsPerTransaction))
            {
                for (var day = RollupMath.DayOf(from); day < end; day = day.AddDays(1))
                {
                    hours += await RollUpDayAsync(chunk, day, Max(from, day), Min(day.AddDays(1), end), now, rawCutoff, cancellationToken);
                }
            }
        }
        return hours;
    }

    /// <summary>Recomputes the hours in [from, to) of one day from raw checks, then the day from its hours, for each of <paramref name="monitorIds"/>.</summary>
    private async Task<int> RollUpDayAsync(int[] monitorIds, DateTimeOffset day, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset now, DateTimeOffset rawCutoff, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var downs = await db.StatusEvents.AsNoTracking()
            .Where(e => monitorIds.Contains(e.MonitorId) && e.Kind == EventKind.Status && e.To == MonitorStatus.Down && e.From != MonitorStatus.Down && e.At >= from && e.At < to)
            .Select(e => new { e.MonitorId, e.At })
            .ToListAsync(cancellationToken);
        var incidentsByHour = downs.GroupBy(d => (d.MonitorId, Hour: RollupMath.HourOf(d.At))).ToDictionary(g => g.Key, g => g.Count());

        // Read monitor by monitor (the rows come in index order), so what is held at once is one monitor's share,
        // as when each monitor had its own transaction: a monitor checked every second has 86,400 rows a day.
        var hourly = new List<Rollup>();
        var checks = db.CheckResults.AsNoTracking()
            .Where(c => monitorIds.Contains(c.MonitorId) && c.At >= from && c.At < to)
            .OrderBy(c => c.MonitorId).ThenBy(c => c.At)
            .Select(c => new { c.MonitorId, Check = new RawCheck(c.At, c.Outcome, c.ResponseMs, c.InMaintenance) })
            .AsAsyncEnumerable();
        await foreach (var (monitorId, monitorChecks) in ByMonitor(checks, c => c.MonitorId, c => c.Check, cancellationToken))
        {
            hourly.AddRange(monitorChecks.GroupBy(c => RollupMath.HourOf(c.At))
                .Select(g => RollupMath.Aggregate(monitorId, g.Key, g, incidentsByHour.GetValueOrDefault((monitorId, g.Key)))));
        }
        // A change to down in an hour without any stored check (rare) is still an incident of that hour.
        var withChecks = hourly.Select(h => (h.MonitorId, h.Start)).ToHashSet();
        hourly.AddRange(incidentsByHour.Where(i => !withChecks.Contains(i.Key))
            .Select(i => RollupMath.Aggregate(i.Key.MonitorId, i.Key.Hour, [], i.Value)));

        // A finished day whose raw checks are all still kept gets its exact p95; the current day, or one partly
        // pruned, gets the largest hourly p95 (see RollupMath.Combine).
        var dayP95 = new Dictionary<int, int?>();
        var dayEnd = day.AddDays(1);
        if (dayEnd <= now && day >= rawCutoff)
        {
            var times = db.CheckResults.AsNoTracking()
                .Where(c => monitorIds.Contains(c.MonitorId) && c.At >= day && c.At < dayEnd && c.ResponseMs != null
                    && (c.Outcome == CheckOutcome.Up || c.Outcome == CheckOutcome.Degraded))
                .OrderBy(c => c.MonitorId).ThenBy(c => c.At)
                .Select(c => new { c.MonitorId, Ms = c.ResponseMs!.Value })
                .AsAsyncEnumerable();
            await foreach (var (monitorId, monitorTimes) in ByMonitor(times, t => t.MonitorId, t => t.Ms, cancellationToken))
            {
                dayP95[monitorId] = RollupMath.Percentile95(monitorTimes);
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.HourlyRollups.Where(r => monitorIds.Contains(r.MonitorId) && r.Start >= from && r.Start < to).ExecuteDeleteAsync(cancellationToken);
        db.HourlyRollups.AddRange(hourly);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();

        var dayHours = (await db.HourlyRollups.AsNoTracking()
            .Where(r => monitorIds.Contains(r.MonitorId) && r.Start >= day && r.Start < dayEnd)
            .ToListAsync(cancellationToken))
            .ToLookup(r => r.MonitorId);
        await db.DailyRollups.Where(r => monitorIds.Contains(r.MonitorId) && r.Start == day).ExecuteDeleteAsync(cancellationToken);
        if (dayHours.Count > 0)
        {
            foreach (var hoursOfMonitor in dayHours)
            {
                // Null (the hours' p95 is taken) unless the day was read whole above.
                db.DailyRollups.Add(RollupMath.Combine(hoursOfMonitor.Key, day, hoursOfMonitor.ToList(), dayP95.GetValueOrDefault(hoursOfMonitor.Key)));
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return hourly.Count;
    }

    /// <summary>Rows ordered by monitor, handed out one monitor at a time (the list is reused: use it before the next).</summary>
    private static async IAsyncEnumerable<(int MonitorId, List<TValue> Values)> ByMonitor<TRow, TValue>(IAsyncEnumerable<TRow> rows,
        Func<TRow, int> monitor, Func<TRow, TValue> value, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var values = new List<TValue>();
        int? current = null;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var id = monitor(row);
            if (current is { } previous && previous != id)
            {
                yield return (previous, values);
                values.Clear();
            }
            current = id;
            values.Add(value(row));
        }
        if (current is { } last)
        {
            yield return (last, values);
        }
    }

    private async Task<(int Checks, int Rollups, int Events)> PruneAsync(DateTimeOffset rawCutoff, DateTimeOffset rollupCutoff,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var checks = await PruneChecksAsync(db, rawCutoff, cancellationToken);
        var rollups = await DeleteInBatchesAsync(() => db.HourlyRollups.Where(r => r.Start < rollupCutoff).OrderBy(r => r.Start), cancellationToken)
            + await DeleteInBatchesAsync(() => db.DailyRollups.Where(r => r.Start < rollupCutoff).OrderBy(r => r.Start), cancellationToken);
        // Live clients resuming from an event older than this get told to reload their snapshot (the live transports' job).
        var events = await DeleteInBatchesAsync(() => db.StatusEvents.Where(e => e.At < rollupCutoff).OrderBy(e => e.Id), cancellationToken);
        return (checks, rollups, events);
    }

    /// <summary>
    /// Deletes raw checks older than the cutoff monitor by monitor, through the (MonitorId, At) index: check_results
    /// has no index on At alone (it would cost ~16 bytes per stored check for a job that runs every few minutes).
    /// Archived monitors are included. Each transaction deletes at most <see cref="DeleteBatchSize"/> rows, however
    /// many monitors they come from, so the check writer never waits behind a long one.
    /// </summary>
    private static async Task<int> PruneChecksAsync(UptimeWatchDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        // One index probe per monitor; only monitors with something to delete take the write lock.
        var monitorIds = await db.Monitors.AsNoTracking()
            .Where(m => db.CheckResults.Any(c => c.MonitorId == m.Id && c.At < cutoff))
            .OrderBy(m => m.Id)
            .Select(m => m.Id)
            .ToListAsync(cancellationToken);

        var total = 0;
        var inTransaction = 0;
        IDbContextTransaction? transaction = null;
        try
        {
            foreach (var monitorId in monitorIds)
            {
                bool more;
                do
                {
                    transaction ??= await db.Database.BeginTransactionAsync(cancellationToken);
                    var take = DeleteBatchSize - inTransaction;
                    var deleted = await db.CheckResults
                        .Where(c => c.MonitorId == monitorId && c.At < cutoff)
                        .OrderBy(c => c.At)
                        .Take(take)
                        .ExecuteDeleteAsync(cancellationToken);
                    more = deleted == take;
                    total += deleted;
                    inTransaction += deleted;
                    if (inTransaction == DeleteBatchSize)
                    {
                        await transaction.CommitAsync(cancellationToken);
                        await transaction.DisposeAsync();
                        (transaction, inTransaction) = (null, 0);
                    }
                }
                while (more);
            }
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }
        return total;
    }

    private static async Task<int> DeleteInBatchesAsync<T>(Func<IQueryable<T>> rows, CancellationToken cancellationToken)
    {
        var total = 0;
        int deleted;
        do
        {
            deleted = await rows().Take(DeleteBatchSize).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == DeleteBatchSize);
        return total;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [LoggerMessage(LogLevel.Information, "Rolled up {Hours} hours; pruned {Checks} checks, {Rollups} rollups, {Events} status events")]
    private partial void LogRun(int hours, int checks, int rollups, int events);
}

/// <summary>What one run did: hours recomputed, and rows pruned.</summary>
internal sealed record RollupRun(int Hours, int PrunedChecks, int PrunedRollups, int PrunedEvents);
