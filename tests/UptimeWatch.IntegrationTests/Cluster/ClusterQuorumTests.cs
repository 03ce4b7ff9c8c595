using Microsoft.EntityFrameworkCore;
using UptimeWatch.AdminConsole;
using UptimeWatch.Agents;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// A monitor judged by quorum on a cluster of two real UptimeWatch processes, its three probe locations' agents
/// connected to different nodes (eu-west to one, us-east and ap-south to the other), as a load balancer spreads them:
/// each node holds only some of the votes, yet the monitor has one status history, judged on every location's checks.
/// </summary>
public sealed class ClusterQuorumTests : IAsyncLifetime
{
    private const string Slug = "shop";
    private static readonly string[] Locations = ["eu-west", "us-east", "ap-south"];
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Agents_on_different_nodes_make_one_status_history_down_once_when_two_agree_and_up_once_when_they_recover()
    {
        // Every 3 s: a location is offline after 9 s of silence in the database, more than a loaded machine's commit lag
        // (at 1 s, CI 57 saw every location's stored checks lag 3 s behind and the monitor judged unknown for a moment).
        object[] monitors =
        [
            new { Name = "Shop", Url = "http://127.0.0.1:9/health", IntervalSeconds = 3, FailureThreshold = 1, Locations = string.Join(", ", Locations) },
        ];
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, monitors, pooling: true);
        var tokens = await TokensAsync(cluster);
        var agents = new Dictionary<string, ReportingAgent>();
        await using var stop = new AgentsStop(agents);
        agents["eu-west"] = await ReportingAgent.StartAsync(cluster[0].Address, tokens["eu-west"], "eu-west");
        agents["us-east"] = await ReportingAgent.StartAsync(cluster[1].Address, tokens["us-east"], "us-east");
        agents["ap-south"] = await ReportingAgent.StartAsync(cluster[1].Address, tokens["ap-south"], "ap-south");
        var id = await MonitorIdAsync(cluster);
        // The starting point: every location's checks stored (each node then judges on all three), and the monitor up.
        // Before that, a node may judge before another node's first stored checks of a location are in (CI 60: up, then
        // unknown for a moment, at the start): that is the start, not what this test is about.
        await UntilAsync(cluster, "checks stored from all three locations", async (db, ct) =>
            await db.CheckResults.Where(c => c.MonitorId == id && c.LocationId != CheckResult.ThisServer)
                .Select(c => c.LocationId).Distinct().CountAsync(ct) == Locations.Length);
        await UntilAsync(cluster, id, "up", "the monitor up from its three locations");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await UntilAsync(cluster, id, "up", "the monitor up from its three locations");
        var since = (await EventsAsync(cluster, id)).Max(e => e.Id);

        // Down from eu-west (node 1) and us-east (node 2): 2 of 3, though neither node holds both votes.
        agents["eu-west"].Verdict = "down";
        agents["us-east"].Verdict = "down";
        await UntilAsync(cluster, id, "down", "the monitor down from two locations on two nodes");
        // It stays down: no node judges from its own votes alone (one would say degraded, the other down).
        await Task.Delay(TimeSpan.FromSeconds(5));
        var down = (await EventsAsync(cluster, id)).Where(e => e.Id > since).ToList();
        Assert.True(down.Select(e => e.To).SequenceEqual([MonitorStatus.Down]) || down.Select(e => e.To).SequenceEqual([MonitorStatus.Degraded, MonitorStatus.Down]),
            $"events: {string.Join("; ", down.Select(e => $"{e.From}->{e.To} {e.Reason}"))}\n{cluster.Output()}");
        Assert.Equal("down from eu-west, us-east (2 of 3)", down[^1].Reason);
        since = down[^1].Id;

        agents["eu-west"].Verdict = "up";
        agents["us-east"].Verdict = "up";
        await UntilAsync(cluster, id, "up", "the monitor up again");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var up = (await EventsAsync(cluster, id)).Where(e => e.Id > since).ToList();
        Assert.True(up.Select(e => e.To).SequenceEqual([MonitorStatus.Up]) || up.Select(e => e.To).SequenceEqual([MonitorStatus.Degraded, MonitorStatus.Up]),
            $"events: {string.Join("; ", up.Select(e => $"{e.From}->{e.To} {e.Reason}"))}\n{cluster.Output()}");
    }

    /// <summary>An agent token per location, stored as the console stores one (docs/locations.md).</summary>
    private static async Task<Dictionary<string, string>> TokensAsync(ClusterNodes cluster)
    {
        await using var db = cluster.OpenDatabase();
        var tokens = new Dictionary<string, string>();
        foreach (var name in Locations)
        {
            var location = new ProbeLocation { Name = name, CreatedAt = DateTimeOffset.UtcNow };
            db.Locations.Add(location);
            await db.SaveChangesAsync();
            var secret = AgentTokens.Secret.New();
            db.AgentTokens.Add(new AgentToken
            {
                LocationId = location.Id, Prefix = secret[..AgentTokens.Secret.PrefixLength], Hash = TokenSecret.HashHex(secret), CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
            tokens[name] = secret;
        }
        return tokens;
    }

    private static async Task<int> MonitorIdAsync(ClusterNodes cluster)
    {
        await using var db = cluster.OpenDatabase();
        return await db.Monitors.Where(m => m.Slug == Slug).Select(m => m.Id).SingleAsync();
    }

    private static async Task<List<StatusEvent>> EventsAsync(ClusterNodes cluster, int id)
    {
        await using var db = cluster.OpenDatabase();
        return await db.StatusEvents.AsNoTracking().Where(e => e.MonitorId == id).OrderBy(e => e.Id).ToListAsync();
    }

    private static Task UntilAsync(ClusterNodes cluster, int id, string status, string what) =>
        UntilAsync(cluster, what, async (db, ct) =>
            (await db.Monitors.Where(m => m.Id == id).Select(m => m.Status).SingleAsync(ct)).ToString().Equals(status, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the shared database every 250 ms until <paramref name="done"/> holds (60 s at most).</summary>
    private static Task UntilAsync(ClusterNodes cluster, string what, Func<UptimeWatchDbContext, CancellationToken, Task<bool>> done) =>
        Eventually.Within(TimeSpan.FromSeconds(60), what, async ct =>
        {
            while (true)
            {
                await using (var db = cluster.OpenDatabase())
                {
                    if (await done(db, ct))
                    {
                        return true;
                    }
                }
                await Task.Delay(250, ct);
            }
        }, cluster.Output);

    private sealed class AgentsStop(Dictionary<string, ReportingAgent> agents) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var agent in agents.Values)
            {
                await agent.DisposeAsync();
            }
        }
    }
}
