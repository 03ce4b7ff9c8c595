using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;
using Xunit.Abstractions;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// Scheduling on a cluster of real UptimeWatch processes on one PostgreSQL database: every slot of every monitor is
/// stored exactly once whichever node runs it, a node killed with <c>kill -9</c> is taken over within the rule
/// (2 × check-in + one check interval) with its lost slots stored as missed, and the rollup runs once per cluster.
/// </summary>
public sealed class ClusterSchedulingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private TargetServer _target = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _target = await TargetServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    private object[] Monitors(int count, int intervalSeconds) =>
        [.. Enumerable.Range(1, count).Select(i => new
        {
            Name = $"M{i:000}", Url = _target.Url("/health").ToString(), IntervalSeconds = intervalSeconds, TimeoutSeconds = 1,
        })];

    /// <summary>Node ids the test can name.</summary>
    private static IReadOnlyDictionary<string, string> Node(int index) =>
        new Dictionary<string, string> { ["UptimeWatch__Scheduler__NodeId"] = $"node-{index + 1}" };

    [Fact]
    public async Task Three_nodes_store_every_slot_of_300_monitors_exactly_once_and_share_them()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, Monitors(300, 2), nodeEnvironment: Node, pooling: true);
        var from = DateTimeOffset.UtcNow;
        var to = from.AddSeconds(60);

        // Everything due in [from, to) stored (or declared missed) by some node.
        var grid = await ExpectedSlotsAsync(cluster, from, to);
        var stored = await Eventually.Within(TimeSpan.FromSeconds(100), "every slot of the minute stored", async ct =>
        {
            while (true)
            {
                var rows = await SlotsAsync(cluster, from, to, ct);
                if (DateTimeOffset.UtcNow > to.AddSeconds(5) && grid.All(g => rows.Count(r => r.MonitorId == g.MonitorId) >= g.Slots.Count))
                {
                    return rows;
                }
                await Task.Delay(1000, ct);
            }
        }, cluster.Output);

        foreach (var share in stored.GroupBy(r => r.Node).OrderBy(g => g.Key))
        {
            output.WriteLine($"{share.Key}: {share.Count()} slots ({100.0 * share.Count() / stored.Count:0.0} %), {share.Count(r => r.Outcome == CheckOutcome.Missed)} missed");
        }
        AssertEverySlotOnce(grid, stored, from, to, cluster);
        Assert.Equal(3, stored.Select(r => r.Node).Distinct().Count());
    }

    /// <summary>The slots stored in [from, to) are exactly the grid's, each once; a failure names the difference.</summary>
    private static void AssertEverySlotOnce(List<(int MonitorId, List<DateTimeOffset> Slots)> grid, List<SlotRow> stored,
        DateTimeOffset from, DateTimeOffset to, ClusterNodes cluster)
    {
        var expected = grid.SelectMany(g => g.Slots.Select(s => (g.MonitorId, s))).ToHashSet();
        var missing = expected.Except(stored.Select(r => (r.MonitorId, r.Slot))).Order().ToList();
        var extra = stored.Where(r => !expected.Contains((r.MonitorId, r.Slot))).OrderBy(r => r.MonitorId).ThenBy(r => r.Slot).ToList();
        var twice = stored.GroupBy(r => (r.MonitorId, r.Slot)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && twice.Count == 0 && expected.Count == stored.Count,
            $"{expected.Count} slots due in [{from:O}, {to:O}), {stored.Count} stored; not stored: {string.Join(", ", missing.Take(20).Select(m => $"{m.MonitorId}@{m.Item2:HH:mm:ss.fff}"))}; "
            + $"stored off the grid: {string.Join("; ", extra.Take(20))}; stored twice: {string.Join(", ", twice.Take(20))}\n{cluster.Output()}");
    }

    [Fact]
    public async Task A_node_killed_is_taken_over_within_the_rule_its_lost_slots_stored_as_missed_and_no_event_raised()
    {
        // The default check-in (5 s): a partition window (5 s) must fit in the rule for any check-in.
        const int checkin = 5, interval = 2;
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, Monitors(60, interval),
            extra: new { Scheduler = new { ClusterCheckinSeconds = checkin } }, nodeEnvironment: Node, pooling: true);
        // Running steadily: every monitor up, on all three nodes.
        await Eventually.Within(TimeSpan.FromSeconds(60), "all monitors up and checked by every node", async ct =>
        {
            while (true)
            {
                await using var db = cluster.OpenDatabase();
                var up = await db.Monitors.CountAsync(m => m.Status == MonitorStatus.Up, ct);
                var nodes = await db.CheckResults.Where(c => c.Node != null).Select(c => c.Node).Distinct().CountAsync(ct);
                if (up == 60 && nodes == 3)
                {
                    return true;
                }
                await Task.Delay(500, ct);
            }
        }, cluster.Output);
        await Task.Delay(TimeSpan.FromSeconds(2 * checkin));
        long eventsBefore;
        await using (var db = cluster.OpenDatabase())
        {
            eventsBefore = await db.StatusEvents.CountAsync();
        }

        var killedAt = DateTimeOffset.UtcNow;
        await cluster.KillAsync(1);
        var rule = TimeSpan.FromSeconds(2 * checkin + interval);

        // Takeover: every monitor has a real check by a live node, for a slot after the kill.
        var after = await Eventually.Within(TimeSpan.FromSeconds(60), "every monitor checked again by a live node", async ct =>
        {
            while (true)
            {
                var rows = await SlotsAsync(cluster, killedAt, DateTimeOffset.MaxValue, ct);
                var resumed = rows.Where(r => r.Outcome != CheckOutcome.Missed && r.Node != "node-2")
                    .GroupBy(r => r.MonitorId).ToDictionary(g => g.Key, g => g.Min(r => r.Slot));
                if (resumed.Count == 60)
                {
                    return resumed;
                }
                await Task.Delay(250, ct);
            }
        }, cluster.Output);
        var takeover = after.Values.Max() - killedAt;
        output.WriteLine($"killed node-2 at {killedAt:HH:mm:ss.fff}; taken over at {killedAt + takeover:HH:mm:ss.fff}");
        output.WriteLine($"takeover: {takeover.TotalSeconds:0.0} s after kill -9 (rule: {rule.TotalSeconds:0} s = 2 × {checkin} s check-in + {interval} s interval)");

        // Let the slots of the gap settle (declared missed after the previous owner's grace), then look at all of them.
        var until = killedAt + takeover + TimeSpan.FromSeconds(10);
        var grid = await ExpectedSlotsAsync(cluster, killedAt.AddSeconds(-interval), until);
        var stored = await Eventually.Within(TimeSpan.FromSeconds(60), "every slot around the kill stored", async ct =>
        {
            while (true)
            {
                var rows = await SlotsAsync(cluster, killedAt.AddSeconds(-interval), until, ct);
                if (DateTimeOffset.UtcNow > until.AddSeconds(5) && grid.All(g => rows.Count(r => r.MonitorId == g.MonitorId) >= g.Slots.Count))
                {
                    return rows;
                }
                await Task.Delay(500, ct);
            }
        }, cluster.Output);
        var missed = stored.Where(r => r.Outcome == CheckOutcome.Missed).ToList();
        output.WriteLine($"{missed.Count} slots missed around the kill: {string.Join("; ", missed.Select(m => m.Error).Distinct())}");

        Assert.True(takeover <= rule, $"Taken over after {takeover.TotalSeconds:0.0} s, more than {rule.TotalSeconds} s\n{cluster.Output()}");
        AssertEverySlotOnce(grid, stored, killedAt.AddSeconds(-interval), until, cluster);
        Assert.Contains(missed, m => m.Error == "missed: node node-2 stopped");
        // No live node is blamed (a slot late on a loaded machine is its own, ordinary reason).
        Assert.DoesNotContain(missed, m => m.Error is "missed: node node-1 stopped" or "missed: node node-3 stopped");
        await using (var db = cluster.OpenDatabase())
        {
            var events = await db.StatusEvents.Where(e => e.Id > 0).OrderBy(e => e.Id).Skip((int)eventsBefore).Select(e => e.Reason).ToListAsync();
            Assert.True(events.Count == 0, $"Status events after the kill: {string.Join("; ", events)}");
        }
    }

    [Fact]
    public async Task The_rollup_runs_once_per_cluster()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, Monitors(3, 5), nodeEnvironment: Node, pooling: true);
        var started = DateTimeOffset.UtcNow;
        static int Runs(HostProcess node) => node.Stdout.Split('\n').Count(l => l.Contains("Rolled up", StringComparison.Ordinal));

        // The rollup's first run is 15 s after start; on a single-node store every node would run it then.
        await Eventually.Within(TimeSpan.FromSeconds(60), "a rollup run on some node", async ct =>
        {
            while (Enumerable.Range(0, 3).Sum(i => Runs(cluster[i])) == 0)
            {
                await Task.Delay(500, ct);
            }
            return true;
        }, cluster.Output);
        // Every node is past its own start delay by now, with room for a late one.
        var wait = started + TimeSpan.FromSeconds(25) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        var runs = Enumerable.Range(0, 3).Select(i => Runs(cluster[i])).ToList();
        output.WriteLine($"rollup runs per node: {string.Join(", ", runs)}");
        Assert.Equal(1, runs.Sum());
    }

    private sealed record SlotRow(int MonitorId, DateTimeOffset Slot, string? Node, CheckOutcome Outcome, string? Error);

    private static async Task<List<SlotRow>> SlotsAsync(ClusterNodes cluster, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        (from, to) = (WholeMs(from), WholeMs(to));
        await using var db = cluster.OpenDatabase();
        var rows = await db.CheckResults.AsNoTracking().Where(c => c.Slot != null && c.Slot >= from && c.Slot < to)
            .Select(c => new { c.MonitorId, c.Slot, c.Node, c.Outcome, c.Error }).ToListAsync(ct);
        return [.. rows.Select(r => new SlotRow(r.MonitorId, r.Slot!.Value, r.Node, r.Outcome, r.Error))];
    }

    /// <summary>
    /// A bound as the database compares it: slots are stored as whole milliseconds, and a bound with a fraction of one is
    /// cut to its millisecond in the query. Unrounded, a slot in the bound's own millisecond would be in the query's range
    /// and not in the grid's (or the other way round at the end), and the sets would differ though every slot was stored.
    /// </summary>
    private static DateTimeOffset WholeMs(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    /// <summary>Each monitor's slots in [from, to): its phase plus whole intervals, as the product computes them.</summary>
    private static async Task<List<(int MonitorId, List<DateTimeOffset> Slots)>> ExpectedSlotsAsync(ClusterNodes cluster, DateTimeOffset from, DateTimeOffset to)
    {
        (from, to) = (WholeMs(from), WholeMs(to));
        await using var db = cluster.OpenDatabase();
        var monitors = await db.Monitors.Where(m => m.ArchivedAt == null).Select(m => new { m.Id, m.IntervalSeconds }).ToListAsync();
        return [.. monitors.Select(m => (m.Id, Scheduling.Partitions.SlotsIn(m.Id, TimeSpan.FromSeconds(m.IntervalSeconds), from, to)))];
    }
}
