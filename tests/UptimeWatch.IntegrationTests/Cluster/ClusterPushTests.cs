using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;
using Xunit.Abstractions;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// Push monitors on a cluster of real UptimeWatch processes behind a load balancer without sticky sessions: a heartbeat
/// lands on any node, while the node running the monitor's partition judges its deadline. Heartbeats spread over the
/// nodes keep it up (each node alone sees a gap longer than the deadline), missing ones take it down once, a heartbeat
/// to any node brings it back once, and killing the node that judges it raises nothing.
/// </summary>
public sealed class ClusterPushTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "cluster-cron-0123456789abcdef";
    private const string Slug = "cluster-cron";
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    private static object[] Monitor(int intervalSeconds, int graceSeconds) =>
    [
        new { Name = "Cluster cron", Type = "push", IntervalSeconds = intervalSeconds, GraceSeconds = graceSeconds, PushToken = Token, FailureThreshold = 1 },
    ];

    /// <summary>Node ids the test can name, and the partition runner's debug line that tells which node took a partition.</summary>
    private static IReadOnlyDictionary<string, string> Node(int index) => new Dictionary<string, string>
    {
        ["UptimeWatch__Scheduler__NodeId"] = $"node-{index + 1}",
        ["Serilog__MinimumLevel__Override__UptimeWatch.Scheduling.PartitionRunner"] = "Debug",
    };

    [Fact]
    public async Task Heartbeats_spread_over_the_nodes_keep_it_up_missing_ones_take_it_down_once_and_any_node_brings_it_back_once()
    {
        // Deadline 4 s after a heartbeat; one every 1.5 s over three nodes: every node alone sees 4.5 s between its own, so
        // only heartbeats received by the others keep it up. The 2.5 s of slack are for a heartbeat to reach the judging
        // node through the database on a busy machine (1.75 s was not always enough: CI 48, load average 15).
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, Monitor(2, 2), nodeEnvironment: Node, pooling: true);
        var id = await MonitorIdAsync(cluster);
        // The first node may have judged "no heartbeat yet" while the others started: counted from once heartbeats flow.
        await SendRoundRobinAsync(cluster, [0, 1, 2], TimeSpan.FromMilliseconds(1000), TimeSpan.FromSeconds(4));
        var since = await BaselineAsync(cluster);
        await SendRoundRobinAsync(cluster, [0, 1, 2], TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(25));
        await AssertUpAndNeverDownAsync(cluster, id, since);

        // Heartbeats stop: down once, each deadline that passes stored once.
        var stoppedAt = DateTimeOffset.UtcNow;
        await Eventually.Within(TimeSpan.FromSeconds(30), "the monitor down after its heartbeats stopped", async ct =>
        {
            while ((await EventsAsync(cluster, id, ct)).Count(e => e.Id > since.Event && e.To == MonitorStatus.Down) == 0)
            {
                await Task.Delay(250, ct);
            }
            return true;
        }, cluster.Output);
        // A few more deadlines pass (one every interval): each is one failed check, none a second event.
        await Eventually.Within(TimeSpan.FromSeconds(30), "three missed deadlines stored", async ct =>
        {
            while ((await ChecksAsync(cluster, id, ct)).Count(c => c.Outcome == CheckOutcome.Down && c.At >= stoppedAt) < 3)
            {
                await Task.Delay(250, ct);
            }
            return true;
        }, cluster.Output);
        var downs = (await EventsAsync(cluster, id, CancellationToken.None)).Where(e => e.Id > since.Event && e.To == MonitorStatus.Down).ToList();
        Assert.True(downs.Count == 1, $"{downs.Count} down events: {string.Join("; ", downs.Select(e => e.Reason))}\n{cluster.Output()}");
        var failed = (await ChecksAsync(cluster, id, CancellationToken.None)).Where(c => c.Id > since.Check && c.Outcome == CheckOutcome.Down).OrderBy(c => c.At).ToList();
        output.WriteLine($"failed checks: {string.Join(", ", failed.Select(c => $"{c.At:HH:mm:ss.fff}"))}");
        // One per deadline: deadlines are a whole interval (2 s) apart, a deadline judged twice would be stored twice close together.
        foreach (var (a, b) in failed.Zip(failed.Skip(1)))
        {
            Assert.True(b.At - a.At >= TimeSpan.FromSeconds(1), $"Two failed checks {(b.At - a.At).TotalMilliseconds:0} ms apart: {a.Error} / {b.Error}");
        }

        // A heartbeat to a node that does not judge the monitor brings it back: up once.
        var owner = Owner(cluster, id);
        var other = Enumerable.Range(0, 3).First(i => i != owner);
        output.WriteLine($"partition owner: node-{owner + 1}; heartbeat to node-{other + 1}");
        await HeartbeatAsync(cluster[other], CancellationToken.None);
        await Eventually.Within(TimeSpan.FromSeconds(30), "the monitor up again", async ct =>
        {
            while ((await EventsAsync(cluster, id, ct)).Count(e => e.Id > since.Event && e.From == MonitorStatus.Down && e.To == MonitorStatus.Up) == 0)
            {
                await Task.Delay(250, ct);
            }
            return true;
        }, cluster.Output);
        var ups = (await EventsAsync(cluster, id, CancellationToken.None)).Where(e => e.Id > since.Event && e.From == MonitorStatus.Down).ToList();
        Assert.True(ups.Count == 1 && ups[0].To == MonitorStatus.Up, $"After the heartbeat: {string.Join("; ", ups.Select(e => $"{e.From}→{e.To} {e.Reason}"))}");
    }

    [Fact]
    public async Task Killing_the_node_that_judges_the_deadline_while_heartbeats_go_to_the_others_raises_no_down()
    {
        // Deadline 4 s after a heartbeat; one every 2.25 s over the two other nodes: each alone sees 4.5 s between its own.
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, Monitor(3, 1), nodeEnvironment: Node, pooling: true);
        var id = await MonitorIdAsync(cluster);
        // Up and judged by some node, which then is killed.
        await SendRoundRobinAsync(cluster, [0, 1, 2], TimeSpan.FromMilliseconds(1000), TimeSpan.FromSeconds(8));
        var since = await BaselineAsync(cluster);
        var owner = Owner(cluster, id);
        var others = Enumerable.Range(0, 3).Where(i => i != owner).ToArray();
        output.WriteLine($"killing the partition owner node-{owner + 1}");
        using var sending = new CancellationTokenSource();
        var sender = SendRoundRobinAsync(cluster, others, TimeSpan.FromMilliseconds(2250), TimeSpan.FromSeconds(25), sending.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await cluster.KillAsync(owner);
        await sender;
        await AssertUpAndNeverDownAsync(cluster, id, since);
        var newOwner = Owner(cluster, id, others);
        output.WriteLine($"taken over by node-{newOwner + 1}");
    }

    [Fact]
    public async Task A_heartbeat_while_the_database_is_down_gets_a_503_saying_it_was_not_recorded()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 1, Monitor(60, 60));
        await HeartbeatAsync(cluster[0], CancellationToken.None);
        await _postgres.StopAsync();
        try
        {
            using var client = cluster[0].NewClient();
            using var response = await client.GetAsync($"/api/push/{Token}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {body}");
            Assert.Contains("The database is unreachable: the heartbeat was not recorded, send it again", body, StringComparison.Ordinal);
        }
        finally
        {
            await _postgres.StartAgainAsync();
        }
    }

    /// <summary>Heartbeats to these nodes in turn, one every <paramref name="every"/>, for <paramref name="duration"/>.</summary>
    private async Task SendRoundRobinAsync(ClusterNodes cluster, int[] nodes, TimeSpan every, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var until = DateTimeOffset.UtcNow + duration;
        var next = DateTimeOffset.UtcNow;
        for (var i = 0; DateTimeOffset.UtcNow < until && !cancellationToken.IsCancellationRequested; i++)
        {
            await HeartbeatAsync(cluster[nodes[i % nodes.Length]], cancellationToken);
            // The pace of a cron job, not synchronisation: the gap between heartbeats is what the test is about.
            next += every;
            var wait = next - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
        }
    }

    private static async Task HeartbeatAsync(HostProcess node, CancellationToken cancellationToken)
    {
        using var client = node.NewClient();
        using var response = await client.GetAsync($"/api/push/{Token}", cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The newest event and check ids: what is stored after them is what the test looks at.</summary>
    private static async Task<(long Event, long Check)> BaselineAsync(ClusterNodes cluster)
    {
        await using var db = cluster.OpenDatabase();
        return (await db.StatusEvents.MaxAsync(e => (long?)e.Id) ?? 0, await db.CheckResults.MaxAsync(c => (long?)c.Id) ?? 0);
    }

    private static async Task AssertUpAndNeverDownAsync(ClusterNodes cluster, int id, (long Event, long Check) since)
    {
        await using var db = cluster.OpenDatabase();
        var failed = await db.CheckResults.AsNoTracking().Where(c => c.MonitorId == id && c.Id > since.Check && c.Outcome != CheckOutcome.Up)
            .Select(c => c.Outcome + " " + c.Error).ToListAsync();
        var events = await db.StatusEvents.AsNoTracking().Where(e => e.MonitorId == id && e.Id > since.Event && e.To != MonitorStatus.Up)
            .Select(e => e.Reason).ToListAsync();
        Assert.True(failed.Count == 0 && events.Count == 0,
            $"Stored while heartbeats kept coming: {string.Join("; ", failed)}; events: {string.Join("; ", events)}\n{cluster.Output()}");
        Assert.Equal(MonitorStatus.Up, await db.Monitors.Where(m => m.Id == id).Select(m => m.Status).SingleAsync());
    }

    /// <summary>
    /// The node running the monitor's partition now: the last to log taking it (a node logs it whenever it runs a window
    /// another node ran before). Among <paramref name="among"/> when given (the killed node's log ends with it).
    /// </summary>
    private static int Owner(ClusterNodes cluster, int id, int[]? among = null)
    {
        var line = $"Running partition {Scheduling.Partitions.Of(id)} from ";
        var latest = (among ?? [0, 1, 2])
            .Select(i => (Index: i, Start: cluster[i].Stdout.Split('\n').Where(l => l.Contains(line, StringComparison.Ordinal))
                .Select(l => DateTimeOffset.Parse(l[(l.IndexOf(line, StringComparison.Ordinal) + line.Length)..].Trim().Split(' ')[0].Trim('"'),
                    System.Globalization.CultureInfo.InvariantCulture))
                .DefaultIfEmpty(DateTimeOffset.MinValue).Max()))
            .MaxBy(n => n.Start);
        Assert.True(latest.Start > DateTimeOffset.MinValue, $"No node logged running partition {Scheduling.Partitions.Of(id)}\n{cluster.Output()}");
        return latest.Index;
    }

    private static async Task<int> MonitorIdAsync(ClusterNodes cluster)
    {
        await using var db = cluster.OpenDatabase();
        return await db.Monitors.Where(m => m.Slug == Slug).Select(m => m.Id).SingleAsync();
    }

    private static async Task<List<StatusEvent>> EventsAsync(ClusterNodes cluster, int id, CancellationToken ct)
    {
        await using var db = cluster.OpenDatabase();
        return await db.StatusEvents.AsNoTracking().Where(e => e.MonitorId == id && e.Kind == EventKind.Status).OrderBy(e => e.Id).ToListAsync(ct);
    }

    private static async Task<List<CheckResult>> ChecksAsync(ClusterNodes cluster, int id, CancellationToken ct)
    {
        await using var db = cluster.OpenDatabase();
        return await db.CheckResults.AsNoTracking().Where(c => c.MonitorId == id).ToListAsync(ct);
    }
}
