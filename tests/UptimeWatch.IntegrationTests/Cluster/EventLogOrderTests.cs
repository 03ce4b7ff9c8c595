using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// Two nodes append to one event log at the same time; a reader that follows it by cursor (<c>/api/events?after=</c>,
/// the rule every live transport resumes by) must see every id the log ends up with. With ids from a sequence and no
/// turn-taking, one node's id 10 can commit while the other's 9 is still open, and the reader at 10 never sees 9.
/// </summary>
public sealed class EventLogOrderTests : IAsyncLifetime
{
    private const int MonitorsPerNode = 8;
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    private static string Token(int i) => $"cluster-order-test-token-{i:00}";

    [Fact]
    public async Task A_reader_following_the_log_by_cursor_skips_no_id_while_two_nodes_write_at_once()
    {
        // Push monitors change only when told: each node is told about its own half, so both write status changes (and
        // the alerts they raise and resolve) as fast as they can, at the same time.
        var monitors = Enumerable.Range(0, 2 * MonitorsPerNode).Select(i => (object)new
        {
            Name = $"Job {i:00}", Type = "push", IntervalSeconds = 86400, FailureThreshold = 1, PushToken = Token(i),
        });
        // Pooling, as a deployment runs: each heartbeat takes its monitor's cluster turn on a connection of its own.
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, monitors, pooling: true);
        using var nodeA = cluster[0].NewClient();
        using var nodeB = cluster[1].NewClient();

        using var writing = new CancellationTokenSource(TimeSpan.FromSeconds(12));
        var pushes = Enumerable.Range(0, 2 * MonitorsPerNode)
            .Select(i => PushAlternatelyAsync(i < MonitorsPerNode ? nodeA : nodeB, Token(i), writing.Token))
            .ToList();

        var seen = new HashSet<long>();
        var cursor = 0L;
        var reads = 0;
        while (!writing.IsCancellationRequested)
        {
            cursor = await ReadAfterAsync(nodeA, cursor, seen);
            reads++;
        }
        var pushed = (await Task.WhenAll(pushes)).Sum();
        // Writing has stopped, but a push is answered once queued, not once committed: the last ones may still be on their
        // way. Read until the reader has reached the newest status event the database holds (a skipped id stays skipped).
        await using var db = cluster.OpenDatabase();
        await Eventually.Until(async () =>
        {
            cursor = await ReadAfterAsync(nodeA, cursor, seen);
            var newest = await db.StatusEvents.Where(e => e.Kind == UptimeWatch.Storage.EventKind.Status).MaxAsync(e => (long?)e.Id) ?? 0;
            return (Cursor: cursor, Newest: newest);
        }, read => read.Cursor >= read.Newest, TimeSpan.FromSeconds(60), "the reader to reach the newest status event");

        var logged = await db.StatusEvents.Where(e => e.Kind == UptimeWatch.Storage.EventKind.Status).Select(e => e.Id).ToListAsync();
        // Skipped: below the reader's cursor and never seen. (An id above it was written after the reader's last look.)
        var skipped = logged.Where(id => id <= cursor && !seen.Contains(id)).Order().ToList();
        Assert.True(logged.Count > 100, $"Too few events were written to race ({logged.Count} from {pushed} pushes)\n{cluster.Output()}");
        Assert.True(skipped.Count == 0,
            $"The reader skipped {skipped.Count} of {logged.Count} ids ({reads} reads, {pushed} pushes): {string.Join(", ", skipped.Take(20))}");
    }

    /// <summary>Pushes down, up, down… to one monitor until cancelled; returns how many pushes were stored.</summary>
    private static async Task<int> PushAlternatelyAsync(HttpClient node, string token, CancellationToken cancellationToken)
    {
        var count = 0;
        var down = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Not cancelled half way: a heartbeat whose caller hung up is still stored, after the reader's last look.
            using var response = await node.GetAsync($"/api/push/{token}?status={(down ? "down" : "up")}", CancellationToken.None);
            response.EnsureSuccessStatusCode();
            count++;
            down = !down;
        }
        return count;
    }

    /// <summary>One read of the public log after <paramref name="cursor"/>; returns the new cursor.</summary>
    private static async Task<long> ReadAfterAsync(HttpClient node, long cursor, HashSet<long> seen)
    {
        var page = await node.GetFromJsonAsync<JsonElement>($"/api/events?after={cursor}&limit=500");
        foreach (var e in page.GetProperty("events").EnumerateArray())
        {
            var id = e.GetProperty("id").GetInt64();
            Assert.True(id > cursor, $"/api/events?after={cursor} returned id {id}");
            seen.Add(id);
            cursor = id;
        }
        return cursor;
    }
}
