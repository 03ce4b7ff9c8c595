using System.Net;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// PostgreSQL restarted under two running nodes: they say they are unhealthy, keep checking with the results queued
/// in memory, reconnect on their own, and store everything they checked meanwhile.
/// </summary>
public sealed class PostgresRestartTests : IAsyncLifetime
{
    private const int Monitors = 3;
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

    [Fact]
    public async Task Nodes_report_unhealthy_while_PostgreSQL_is_down_and_store_every_check_once_it_is_back()
    {
        var monitors = Enumerable.Range(1, Monitors)
            .Select(i => new { Name = $"site {i}", Url = _target.Url($"/counted/site-{i}").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 });
        var cluster = await ClusterNodes.StartAsync(_postgres, 2, monitors,
            // Failing writes count as unhealthy after 1 s (default 10), so storage health turns too, not only the database check.
            new { Storage = new { UnhealthyAfterSeconds = 1 } },
            // With the connection pool on, as a user runs it: the pooled connections die with the server.
            pooling: true);
        await using var _ = cluster;
        await Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            return await db.CheckResults.Select(c => c.MonitorId).Distinct().CountAsync();
        }, n => n == Monitors, TimeSpan.FromSeconds(60), "stored checks of every monitor before the outage");
        await AssertHealthAsync(cluster, HttpStatusCode.OK, "healthy before the outage");

        await _postgres.StopAsync();
        var servedAtStop = Served();
        await AssertHealthAsync(cluster, HttpStatusCode.ServiceUnavailable, "unhealthy while PostgreSQL is down");
        // Both nodes go on checking while nothing can be stored: the outage lasts until each site got 3 more checks.
        await Eventually.Until(() => Task.FromResult(Served()), served => served.Select((n, i) => n - servedAtStop[i]).All(more => more >= 3),
            TimeSpan.FromSeconds(60), "3 checks of every site during the outage");
        await _postgres.StartAgainAsync();

        await AssertHealthAsync(cluster, HttpStatusCode.OK, "healthy again after PostgreSQL came back");
        // Every slot from each monitor's first until 5 s after the outage gets a row: a check, or a slot stored as missed.
        // Slots lost just before it (a slow first start, a window whose read it cut short; CI 45) or just after it (windows
        // fired late as Quartz recovers; CI 48) are declared missed by a catch-up once old enough, however long it lasted.
        // Later slots are the stop's tail: a node stopping before that catch-up never runs it.
        var caughtUpTo = DateTimeOffset.UtcNow.AddSeconds(5);
        await Eventually.Until(() => MissingSlotsAsync(cluster, caughtUpTo), missing => missing.Count == 0, TimeSpan.FromSeconds(60),
            "a row for every slot from each monitor's first until 5 s after PostgreSQL was back");
        // Stop both nodes the way a service manager does (the writer drains its queue), then count.
        for (var i = 0; i < cluster.Count; i++)
        {
            cluster[i].SendSigterm();
        }
        for (var i = 0; i < cluster.Count; i++)
        {
            Assert.Equal(0, await cluster[i].WaitForExitAsync());
        }

        await using var db = cluster.OpenDatabase();
        var rows = await db.CheckResults.AsNoTracking()
            .Join(db.Monitors, c => c.MonitorId, m => m.Id, (c, m) => new { m.Slug, c.At, c.Outcome, c.Slot, c.Node, c.Error })
            .ToListAsync();
        for (var i = 1; i <= Monitors; i++)
        {
            var slug = $"site-{i}";
            var own = rows.Where(r => r.Slug == slug).OrderBy(r => r.At).ToList();
            // Every check a node made is stored: the target answered it, so a row must say so. A node stopped between a
            // check's answer and its record (at most one check per node and monitor) is the only allowance. A window that
            // changed hands just before the database went away can be run by both nodes (neither can ask the other); those
            // two checks of one slot reach the target within a moment of each other and are one slot, stored once.
            var stored = own.Count(r => r.Outcome != CheckOutcome.Missed);
            var served = _target.ServedAt(slug);
            var slots = served.Where((at, n) => n == 0 || at - served[n - 1] > TimeSpan.FromSeconds(0.5)).Count();
            Assert.True(stored >= slots - cluster.Count,
                $"{slug}: the target answered {served.Count} checks ({slots} slots: {string.Join(", ", served.Select(a => $"{a:HH:mm:ss.fff}"))}), {stored} stored: "
                + $"{string.Join(", ", own.Select(r => $"{r.Slot:HH:mm:ss.fff} {r.Outcome} by {r.Node}"))}\n{cluster.Output()}");
        }
    }

    /// <summary>
    /// The slots (1 s apart, on each monitor's grid) from the monitor's creation up to <paramref name="until"/> that have
    /// no row, as "site-1 12:00:03.761".
    /// </summary>
    private static async Task<List<string>> MissingSlotsAsync(ClusterNodes cluster, DateTimeOffset until)
    {
        await using var db = cluster.OpenDatabase();
        var monitors = await db.Monitors.AsNoTracking().Select(m => new { m.Id, m.Slug, m.CreatedAt }).ToListAsync();
        var slots = (await db.CheckResults.AsNoTracking().Where(c => c.Slot != null).Select(c => new { c.MonitorId, c.Slot }).ToListAsync())
            .ToLookup(c => c.MonitorId, c => c.Slot!.Value.ToUnixTimeMilliseconds());
        var missing = new List<string>();
        foreach (var monitor in monitors)
        {
            var own = slots[monitor.Id].ToHashSet();
            if (own.Count == 0)
            {
                missing.Add($"{monitor.Slug}: no slot stored at all");
                continue;
            }
            // The grid's phase from any stored slot; the first slot is the first on the grid at or after the creation.
            var phase = own.First() % 1000;
            var created = monitor.CreatedAt.ToUnixTimeMilliseconds();
            var first = created - created % 1000 + phase;
            first += first < created ? 1000 : 0;
            for (var slot = first; slot < until.ToUnixTimeMilliseconds(); slot += 1000)
            {
                if (!own.Contains(slot))
                {
                    missing.Add($"{monitor.Slug} {DateTimeOffset.FromUnixTimeMilliseconds(slot):HH:mm:ss.fff}");
                }
            }
        }
        return missing;
    }

    private int[] Served() => Enumerable.Range(1, Monitors).Select(i => _target.Served($"site-{i}")).ToArray();

    private static async Task AssertHealthAsync(ClusterNodes cluster, HttpStatusCode expected, string what)
    {
        for (var i = 0; i < cluster.Count; i++)
        {
            var node = cluster[i];
            await Eventually.Until(async () =>
            {
                using var client = node.NewClient();
                using var response = await client.GetAsync("/healthz");
                return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }, seen => seen.StartsWith($"{(int)expected} ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"node {i + 1} {what}");
        }
    }
}
