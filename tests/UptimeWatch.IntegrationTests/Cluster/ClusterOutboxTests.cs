using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// The outbox on two real nodes sharing one PostgreSQL database: a webhook receiver sees each notification once, in
/// order per incident, and when the node that is sending is killed (<c>kill -9</c>) mid-delivery the other node sends
/// it again with the same idempotency key — the one documented repeat, nothing lost.
/// Counted per idempotency key, so the test holds whether every node checks every monitor (each node then raises its
/// own incidents, each with its own keys) or each monitor is checked by one node.
/// </summary>
public sealed class ClusterOutboxTests : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _hooked = await HookedTarget.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _hooked.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    private object Monitor(string name) => new
    {
        Name = name, Url = _hooked.Target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, FailureThreshold = 1, SuccessThreshold = 1,
    };

    private object Alerting() => new
    {
        Alerting = new
        {
            Channels = new Dictionary<string, object>
            {
                ["hook"] = new { Type = "webhook", Url = _hooked.Receiver.Url("/hook").ToString(), Secret = HookedTarget.Secret },
            },
            // A held request must outlast the kill: the attempt's own deadline must not be what ends it.
            Delivery = new { AttemptTimeoutSeconds = 120, FirstRetrySeconds = 1, MaxRetrySeconds = 1 },
        },
    };

    [Fact]
    public async Task Each_notification_is_sent_once_and_a_killed_sender_costs_at_most_one_repeat_with_the_same_key()
    {
        // A slow receiver: each delivery takes long enough that two nodes sending the same row would overlap.
        _hooked.Receiver.Delay = TimeSpan.FromMilliseconds(500);
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [Monitor("Shop"), Monitor("Api"), Monitor("Docs")], Alerting());
        await AllAsync(cluster, MonitorStatus.Up);

        // Down: every monitor raises an incident; every node dispatches the one outbox.
        _hooked.Target.Healthy = false;
        await AllAsync(cluster, MonitorStatus.Down);
        var down = await DeliveredAsync(cluster, "every down notice");
        Assert.Empty(Repeated(down.Received));

        // Recovery, with the first request held unanswered until its sender dies (answered at once otherwise, so the
        // receiver's log is in arrival order).
        _hooked.Receiver.Delay = TimeSpan.Zero;
        _hooked.Receiver.Reply(new HookReply(200, Hang: true));
        _hooked.Target.Healthy = true;
        await Eventually.Until(() => Task.FromResult(_hooked.Receiver.Hanging), n => n == 1, TimeSpan.FromSeconds(60), "a delivery held by the receiver");
        var held = _hooked.Receiver.Received.Last();
        var sender = SenderNode(cluster, held.RemotePort);
        // Before the kill: every incident's recovery is queued behind the held one, where a node that skipped a
        // held notification would send it.
        await Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            return await db.Notifications.GroupBy(n => n.Event).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        }, queued => queued.GetValueOrDefault("recovered") == queued.GetValueOrDefault("down"), TimeSpan.FromSeconds(60), "every recovery queued");
        await cluster.KillAsync(sender);
        var after = await DeliveredAsync(cluster, "every notice, the held one sent again by the surviving node");

        // The held one: received twice (held, then sent again), both times with the one key, accepted once.
        Assert.Equal(2, after.Received.Single(g => g.Key == held.Key).Count());
        Assert.Equal(1, after.Accepted[held.Key]);
        // While it was held, and until it was sent again, no later notification of its channel went out from any node.
        var arrivals = _hooked.Receiver.Received.Select(r => r.Key).ToList();
        Assert.Equal(arrivals.IndexOf(held.Key) + 1, arrivals.LastIndexOf(held.Key));
        Assert.Empty(Repeated(after.Received.Where(g => g.Key != held.Key)));
        Assert.All(after.Accepted.Values, count => Assert.Equal(1, count));
        Assert.All(_hooked.Receiver.Received, r => Assert.True(r.SignatureValid));
        // Per incident, in the order it happened: down, then recovered. (A node that checks every monitor itself and
        // was killed before it saw the recovery leaves its own incident open: its down alone.)
        string[] story = ["down", "recovered"];
        foreach (var incident in _hooked.Receiver.Accepted.Where(r => r.Event is "down" or "recovered").GroupBy(r => r.Node["incidentId"]!.GetValue<long>()))
        {
            Assert.Equal(story[..Math.Min(incident.Count(), story.Length)], incident.Select(r => r.Event));
        }
    }

    /// <summary>The keys received more than once, with how often, for a failure message that says which.</summary>
    private static List<string> Repeated(IEnumerable<IGrouping<string, ReceivedHook>> received) =>
        [.. received.Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}")];

    /// <summary>Waits until the last stored status change of each of the <paramref name="count"/> monitors is to <paramref name="status"/>.</summary>
    private static Task AllAsync(ClusterNodes cluster, MonitorStatus status, int count = 3) =>
        Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            var events = await db.StatusEvents.AsNoTracking().Select(e => new { e.Id, e.MonitorId, e.To }).ToListAsync();
            return events.GroupBy(e => e.MonitorId).Select(g => g.MaxBy(e => e.Id)!.To).ToList();
        }, latest => latest.Count == count && latest.All(s => s == status), TimeSpan.FromSeconds(60), $"every monitor {status}");

    /// <summary>What the receiver got, per key, once no notification is pending and each key in the outbox was accepted.</summary>
    private async Task<(List<IGrouping<string, ReceivedHook>> Received, Dictionary<string, int> Accepted)> DeliveredAsync(ClusterNodes cluster, string what)
    {
        var keys = await Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            var rows = await db.Notifications.AsNoTracking().Select(n => new { n.Key, n.State }).ToListAsync();
            var accepted = _hooked.Receiver.Accepted.Select(r => r.Key).ToHashSet();
            return rows.Count > 0 && rows.All(r => r.State == NotificationState.Sent && accepted.Contains(r.Key)) ? rows.Select(r => r.Key).ToList() : null;
        }, k => k is not null, TimeSpan.FromSeconds(90), what);
        var received = _hooked.Receiver.Received.GroupBy(r => r.Key).ToList();
        Assert.Equal(keys!.Order(), received.Select(g => g.Key).Order());
        return (received, _hooked.Receiver.Accepted.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>Which node owns the client socket on <paramref name="port"/> of 127.0.0.1 (read from /proc, as root can).</summary>
    private static int SenderNode(ClusterNodes cluster, int port)
    {
        var hex = port.ToString("X4", CultureInfo.InvariantCulture);
        var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }.SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[1].EndsWith(":" + hex, StringComparison.Ordinal))
            .Select(f => $"socket:[{f[9]}]").ToHashSet();
        for (var i = 0; i < cluster.Count; i++)
        {
            var fds = Directory.EnumerateFiles($"/proc/{cluster[i].Id}/fd");
            if (fds.Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
            {
                return i;
            }
        }
        throw new InvalidOperationException($"No node owns the socket on port {port}:\n{cluster.Output()}");
    }
}
