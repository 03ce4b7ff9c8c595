using Microsoft.EntityFrameworkCore;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>Rollups and pruning on a real migrated SQLite file, from known check rows.</summary>
public sealed class RollupServiceTests
{
    private static readonly DateTimeOffset Today = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Hour13 = Today.AddHours(13);

    [Fact]
    public async Task An_hour_counts_failures_leaves_out_maintenance_and_missed_and_has_min_avg_max_p95()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop");
        await AddKnownHourAsync(app, shop.Id);

        await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        var hour = await db.HourlyRollups.SingleAsync(r => r.MonitorId == shop.Id && r.Start == Hour13);
        Assert.Equal((8, 1, 1, 1, 2, 1), (hour.Checks, hour.Failures, hour.Degraded, hour.Missed, hour.Maintenance, hour.Incidents));
        Assert.Equal(83.333, RollupMath.UptimePercent(hour));
        // Timed: up and degraded checks (maintenance included), never down or missed ones.
        Assert.Equal((6, 1950L, 50, 900, 900), (hour.TimedChecks, hour.SumMs, hour.MinMs, hour.MaxMs, hour.P95Ms));

        var current = await db.HourlyRollups.SingleAsync(r => r.MonitorId == shop.Id && r.Start == Today.AddHours(14));
        Assert.Equal((2, 0, 120), (current.Checks, current.Failures, current.MaxMs));

        var day = await db.DailyRollups.SingleAsync(r => r.MonitorId == shop.Id);
        Assert.Equal(Today, day.Start);
        Assert.Equal((10, 1, 2, 1, 1), (day.Checks, day.Failures, day.Maintenance, day.Missed, day.Incidents));
        Assert.Equal(87.5, RollupMath.UptimePercent(day));
        // Today is not over: its p95 is the largest hourly one.
        Assert.Equal((8, 2170L, 50, 900, 900), (day.TimedChecks, day.SumMs, day.MinMs, day.MaxMs, day.P95Ms));
    }

    [Fact]
    public async Task A_finished_day_gets_its_p95_from_every_raw_value_not_from_its_hours()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop");
        var yesterday = Today.AddDays(-1);
        // 1..100 ms spread over the day: the hour holding the slowest checks has a p95 of 100.
        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(1, 100).Select(i => (yesterday.AddMinutes(14 * i), CheckOutcome.Up, (int?)i, false))]);

        await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        var day = await db.DailyRollups.SingleAsync(r => r.MonitorId == shop.Id && r.Start == yesterday);
        Assert.Equal((100, 95, 1, 100, 5050L), (day.Checks, day.P95Ms, day.MinMs, day.MaxMs, day.SumMs));
        Assert.Equal(100, RollupMath.UptimePercent(day));
        Assert.Equal(24, await db.HourlyRollups.CountAsync(r => r.MonitorId == shop.Id && r.Start >= yesterday && r.Start < Today));
    }

    [Fact]
    public async Task Monitors_rolled_up_together_each_get_their_own_hours_days_and_incidents()
    {
        // More monitors than one transaction takes, plus one that starts later (another first hour, rolled up apart).
        await using var app = HistoryApp.Start();
        var yesterday = Today.AddDays(-1);
        var monitors = new List<MonitorEntity>();
        for (var i = 0; i < RollupService.MonitorsPerTransaction + 6; i++)
        {
            var monitor = await app.AddMonitorAsync($"m{i}");
            monitors.Add(monitor);
            await app.AddChecksAsync(monitor.Id,
                (yesterday.AddHours(10).AddMinutes(1), CheckOutcome.Up, i + 1, false),
                (yesterday.AddHours(11).AddMinutes(2), i % 2 == 0 ? CheckOutcome.Up : CheckOutcome.Down, i % 2 == 0 ? 1000 + i : null, false));
            if (i % 2 == 1)
            {
                await app.AddEventAsync(monitor.Id, MonitorStatus.Up, MonitorStatus.Down, yesterday.AddHours(11).AddMinutes(2));
            }
        }
        var late = await app.AddMonitorAsync("late");
        await app.AddChecksAsync(late.Id, (Hour13.AddMinutes(5), CheckOutcome.Degraded, 7, false));

        await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        foreach (var (monitor, i) in monitors.Select((m, i) => (m, i)))
        {
            var hours = await db.HourlyRollups.Where(r => r.MonitorId == monitor.Id).OrderBy(r => r.Start).ToListAsync();
            var down = i % 2 == 1;
            Assert.Equal([(yesterday.AddHours(10), 1, 0, 0), (yesterday.AddHours(11), 1, down ? 1 : 0, down ? 1 : 0)],
                hours.Select(h => (h.Start, h.Checks, h.Failures, h.Incidents)));
            var day = await db.DailyRollups.SingleAsync(r => r.MonitorId == monitor.Id);
            // The finished day's exact p95 is from this monitor's own raw times only.
            Assert.Equal((yesterday, 2, down ? 1 : 0, i + 1, down ? i + 1 : 1000 + i), (day.Start, day.Checks, day.Incidents, day.MinMs, day.P95Ms));
        }
        var lateHour = await db.HourlyRollups.SingleAsync(r => r.MonitorId == late.Id);
        Assert.Equal((Hour13, 1, 1, 7), (lateHour.Start, lateHour.Checks, lateHour.Degraded, lateHour.MaxMs));
        var lateDay = await db.DailyRollups.SingleAsync(r => r.MonitorId == late.Id);
        Assert.Equal((Today, 1), (lateDay.Start, lateDay.Checks));
    }

    [Fact]
    public async Task Running_again_changes_nothing()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop");
        await AddKnownHourAsync(app, shop.Id);

        await app.Rollups.RunAsync(CancellationToken.None);
        var first = await SnapshotAsync(app);
        await app.Rollups.RunAsync(CancellationToken.None);

        Assert.Equal(first, await SnapshotAsync(app));
    }

    [Fact]
    public async Task A_check_written_after_its_hour_was_rolled_up_is_counted_by_the_next_run()
    {
        // Five minutes into the hour: the previous hour was rolled up while it was still the current one.
        await using var app = HistoryApp.Start(now: Today.AddHours(14).AddMinutes(5));
        var shop = await app.AddMonitorAsync("Shop");
        await app.AddChecksAsync(shop.Id, (Hour13.AddMinutes(10), CheckOutcome.Up, 100, false), (Hour13.AddMinutes(20), CheckOutcome.Up, 100, false));
        await app.Rollups.RunAsync(CancellationToken.None);

        // Written late (the writer's queue was behind), for the hour already rolled up.
        await app.AddChecksAsync(shop.Id, (Hour13.AddMinutes(59), CheckOutcome.Down, null, false));
        await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        var hour = await db.HourlyRollups.SingleAsync(r => r.MonitorId == shop.Id);
        Assert.Equal((Hour13, 3, 1), (hour.Start, hour.Checks, hour.Failures));
        var day = await db.DailyRollups.SingleAsync(r => r.MonitorId == shop.Id);
        Assert.Equal((3, 1), (day.Checks, day.Failures));
    }

    [Fact]
    public async Task Pruning_deletes_raw_checks_older_than_RawDays_but_keeps_their_rollups()
    {
        await using var app = HistoryApp.Start(settings: new() { ["UptimeWatch:Retention:RawDays"] = "7", ["UptimeWatch:Retention:RollupDays"] = "30" });
        var shop = await app.AddMonitorAsync("Shop");
        var old = Today.AddDays(-10).AddHours(9);
        var recent = Today.AddDays(-2).AddHours(9);
        var ancient = Today.AddDays(-40).AddHours(9);
        await app.AddChecksAsync(shop.Id,
            (ancient, CheckOutcome.Up, 10, false),
            (old, CheckOutcome.Up, 10, false), (old.AddMinutes(1), CheckOutcome.Down, null, false),
            (recent, CheckOutcome.Up, 10, false));
        await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, ancient);
        await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, old.AddMinutes(1));

        var run = await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        Assert.Equal([recent], await db.CheckResults.Select(c => c.At).ToListAsync());
        var oldDay = await db.DailyRollups.SingleAsync(r => r.Start == Today.AddDays(-10));
        Assert.Equal((2, 1, 1), (oldDay.Checks, oldDay.Failures, oldDay.Incidents));
        Assert.Equal(2, await db.HourlyRollups.CountAsync(r => r.Start == old || r.Start == recent));
        // Older than RollupDays: aggregates and status events go too.
        Assert.False(await db.DailyRollups.AnyAsync(r => r.Start < Today.AddDays(-30)));
        Assert.False(await db.HourlyRollups.AnyAsync(r => r.Start < Today.AddDays(-30)));
        Assert.Equal([old.AddMinutes(1)], await db.StatusEvents.Select(e => e.At).ToListAsync());
        Assert.Equal((3, 2, 1), (run.PrunedChecks, run.PrunedRollups, run.PrunedEvents));

        // The pruned hours are not recomputed from the little raw data left.
        await app.Rollups.RunAsync(CancellationToken.None);
        Assert.Equal(2, (await app.Db().DailyRollups.SingleAsync(r => r.Start == Today.AddDays(-10))).Checks);
    }

    [Fact]
    public async Task Pruning_deletes_exactly_the_checks_before_the_cutoff_of_every_monitor_archived_ones_too()
    {
        await using var app = HistoryApp.Start(settings: new() { ["UptimeWatch:Retention:RawDays"] = "7" });
        var shop = await app.AddMonitorAsync("Shop");
        var retired = await app.AddMonitorAsync("Retired site");
        await app.UpdateMonitorAsync(retired.Id, m => m.ArchivedAt = app.Now.AddDays(-8));
        // RawDays back from 14:30, on the hour.
        var cutoff = Today.AddDays(-7).AddHours(14);
        foreach (var id in new[] { shop.Id, retired.Id })
        {
            await app.AddChecksAsync(id,
                (cutoff.AddDays(-3), CheckOutcome.Up, 10, false),
                (cutoff.AddMilliseconds(-1), CheckOutcome.Down, null, false),
                (cutoff, CheckOutcome.Up, 10, false),
                (cutoff.AddHours(5), CheckOutcome.Missed, null, false));
        }

        var run = await app.Rollups.RunAsync(CancellationToken.None);

        await using var db = app.Db();
        foreach (var id in new[] { shop.Id, retired.Id })
        {
            Assert.Equal([cutoff, cutoff.AddHours(5)], await db.CheckResults.Where(c => c.MonitorId == id).OrderBy(c => c.At).Select(c => c.At).ToListAsync());
        }
        Assert.Equal(4, run.PrunedChecks);
    }

    [Fact]
    public async Task Pruning_more_checks_than_one_batch_across_monitors_deletes_them_all_and_nothing_newer()
    {
        await using var app = HistoryApp.Start(settings: new() { ["UptimeWatch:Retention:RawDays"] = "7" });
        var busy = await app.AddMonitorAsync("Busy");
        var archived = await app.AddMonitorAsync("Archived");
        await app.UpdateMonitorAsync(archived.Id, m => m.ArchivedAt = app.Now.AddDays(-20));
        var small = await app.AddMonitorAsync("Small");
        var oldDay = Today.AddDays(-9);
        // Every 10 s: more than one batch for the busy monitor alone, and one more batch's worth across the others.
        static (DateTimeOffset, CheckOutcome, int?, bool)[] Every10s(DateTimeOffset from, int count) =>
            [.. Enumerable.Range(0, count).Select(i => (from.AddSeconds(10 * i), CheckOutcome.Up, (int?)20, false))];
        await app.AddChecksAsync(busy.Id, Every10s(oldDay, RollupService.DeleteBatchSize + 200));
        await app.AddChecksAsync(archived.Id, Every10s(oldDay, RollupService.DeleteBatchSize - 10));
        await app.AddChecksAsync(small.Id, Every10s(oldDay, 3));
        var recent = Every10s(Today.AddHours(1), 10);
        await app.AddChecksAsync(busy.Id, recent);

        var run = await app.Rollups.RunAsync(CancellationToken.None);

        Assert.Equal(2 * RollupService.DeleteBatchSize + 193, run.PrunedChecks);
        await using var db = app.Db();
        Assert.Equal(recent.Select(c => c.Item1), await db.CheckResults.OrderBy(c => c.At).Select(c => c.At).ToListAsync());
        // Rolled up before they went.
        Assert.Equal(RollupService.DeleteBatchSize + 200, (await db.DailyRollups.SingleAsync(r => r.MonitorId == busy.Id && r.Start == oldDay)).Checks);
    }

    /// <summary>Hour 13:00 of today with every kind of check; two more checks in the current hour (14:00).</summary>
    private static async Task AddKnownHourAsync(HistoryApp app, int monitorId)
    {
        await app.AddChecksAsync(monitorId,
            (Hour13.AddMinutes(0), CheckOutcome.Up, 100, false),
            (Hour13.AddMinutes(5), CheckOutcome.Up, 200, false),
            (Hour13.AddMinutes(10), CheckOutcome.Up, 300, false),
            (Hour13.AddMinutes(15), CheckOutcome.Down, 5000, false),
            (Hour13.AddMinutes(20), CheckOutcome.Up, 400, false),
            (Hour13.AddMinutes(25), CheckOutcome.Degraded, 900, false),
            (Hour13.AddMinutes(30), CheckOutcome.Down, 30, true),
            (Hour13.AddMinutes(35), CheckOutcome.Up, 50, true),
            (Hour13.AddMinutes(40), CheckOutcome.Missed, null, false),
            (Today.AddHours(14), CheckOutcome.Up, 100, false),
            (Today.AddHours(14).AddMinutes(10), CheckOutcome.Up, 120, false));
        await app.AddEventAsync(monitorId, MonitorStatus.Up, MonitorStatus.Down, Hour13.AddMinutes(15));
    }

    private static async Task<List<string>> SnapshotAsync(HistoryApp app)
    {
        await using var db = app.Db();
        var hourly = await db.HourlyRollups.AsNoTracking().OrderBy(r => r.MonitorId).ThenBy(r => r.Start).ToListAsync();
        var daily = await db.DailyRollups.AsNoTracking().OrderBy(r => r.MonitorId).ThenBy(r => r.Start).ToListAsync();
        return [.. hourly.Concat(daily).Select(r => System.Text.Json.JsonSerializer.Serialize(r))];
    }
}
