using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// A console change made on node A takes effect on node B without a restart: B checks a monitor created on A, checks
/// the URL an edit on A set, and treats a monitor paused on A as paused (a check now on B is not recorded) until A resumes it.
/// A check now asked of a node that does not run the monitor runs on the one that does; a pause or a delete made on a
/// node that does not run the monitor stops its checks at once on the one that does.
/// </summary>
public sealed class ConsoleChangeTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
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
    public async Task Create_edit_pause_and_resume_on_node_A_take_effect_on_node_B()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [],
            environment: new Dictionary<string, string> { ["UptimeWatch__Admin__InitialPassword"] = Password });
        using var adminA = await SignInAsync(cluster[0]);
        using var adminB = await SignInAsync(cluster[1]);

        (await adminA.PostAsJsonAsync("/api/admin/monitors", new { Name = "Api", Url = _target.Url("/ok").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the monitor created on A", r => r is { Outcome: "up", Recorded: true });

        (await adminA.PutAsJsonAsync("/api/admin/monitors/api", new { Name = "Api", Url = _target.Url("/status/500").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the URL set on A", r => r is { Outcome: "down" });

        (await adminA.PostAsync("/api/admin/monitors/api/pause", null)).EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B treats the monitor paused on A as paused", r => r is { Recorded: false, Status: "paused" });

        (await adminA.PostAsync("/api/admin/monitors/api/resume", null)).EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the monitor resumed on A again", r => r is { Recorded: true });
    }

    [Fact]
    public async Task A_check_now_asked_of_a_node_that_does_not_run_the_monitor_runs_on_the_one_that_does()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [], environment: AdminEnvironment, nodeEnvironment: Node);
        using var admin0 = await SignInAsync(cluster[0]);
        using var admin1 = await SignInAsync(cluster[1]);
        HttpClient[] admins = [admin0, admin1];
        (await admin0.PostAsJsonAsync("/api/admin/monitors", new { Name = "Api", Url = _target.Url("/ok").ToString(), IntervalSeconds = 2 }))
            .EnsureSuccessStatusCode();
        var id = await MonitorIdAsync(cluster, "api");

        // Three times, each asked of the node that did not run the latest slot: it runs where the window's slots run.
        // When no owner accepts within a second, the asked node checks it itself and says so in its log (the relay's
        // documented fallback; CI 49 saw it once at load average 15): such a round proves nothing, but one must relay.
        var relayed = 0;
        for (var round = 0; round < 3; round++)
        {
            var owner = await LatestSlotNodeAsync(cluster, id);
            var asked = owner == "node-1" ? 1 : 0;
            var fallbacksBefore = Fallbacks(cluster[asked]);
            using var response = await admins[asked].PostAsync("/api/admin/monitors/api/check", null);
            response.EnsureSuccessStatusCode();
            var answer = (await response.Content.ReadFromJsonAsync<CheckNowAnswer>(JsonSerializerOptions.Web))!;
            Assert.True(answer is { Outcome: "up", Recorded: true }, $"the caller gets the check's result: {answer}");

            // The check now is stored (no slot) by the node that ran the slots beside it: the one just before or the one
            // just after (a window may change hands between the owner accepting the request and its check starting).
            // Taken from the stored slots, not from the windows' grid: a window fired late (a busy start) moves the grid.
            var (at, ranOn, windowNodes) = await Eventually.Within(Deadline, "the check now and the slots beside it stored", async ct =>
            {
                while (true)
                {
                    await using var db = cluster.OpenDatabase();
                    // The database keeps microseconds.
                    var checkNow = await db.CheckResults.AsNoTracking()
                        .Where(c => c.MonitorId == id && c.Slot == null && c.At > answer.At.AddMilliseconds(-1) && c.At < answer.At.AddMilliseconds(1))
                        .Select(c => new { c.At, c.Node }).SingleAsync(ct);
                    // Missed ones too: on a busy machine a window's slots may all start too late to run, and the node
                    // running the window stores them as missed (no node stops here, so no other node stores that window).
                    var before = await db.CheckResults.AsNoTracking()
                        .Where(c => c.MonitorId == id && c.Slot != null && c.Slot <= checkNow.At)
                        .OrderByDescending(c => c.Slot).Select(c => c.Node).FirstOrDefaultAsync(ct);
                    var after = await db.CheckResults.AsNoTracking()
                        .Where(c => c.MonitorId == id && c.Slot != null && c.Slot > checkNow.At)
                        .OrderBy(c => c.Slot).Select(c => c.Node).FirstOrDefaultAsync(ct);
                    if (before is not null && after is not null)
                    {
                        return (checkNow.At, checkNow.Node, new[] { before, after });
                    }
                    await Task.Delay(200, ct);
                }
            }, cluster.Output);
            if (Fallbacks(cluster[asked]) > fallbacksBefore && ranOn == $"node-{asked + 1}")
            {
                continue;
            }
            relayed++;
            Assert.True(ranOn is not null && windowNodes.Contains(ranOn),
                $"the check now at {at:O} asked of node-{asked + 1} ran on {ranOn ?? "(no node)"}; the slots before and after it ran on {string.Join(" and ", windowNodes)}\n{cluster.Output()}");
        }
        Assert.True(relayed > 0, $"every check now fell back to the asked node: no owner accepted in three rounds\n{cluster.Output()}");
    }

    /// <summary>How often the node has checked a "check now" itself because no owner accepted it (CheckNowRelay's log line).</summary>
    private static int Fallbacks(HostProcess node) =>
        node.Stdout.Split('\n').Count(line => line.Contains("No node owns monitor", StringComparison.Ordinal));

    [Fact]
    public async Task A_pause_or_a_delete_on_a_node_that_does_not_run_the_monitor_stops_its_checks_at_once()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [], environment: AdminEnvironment, nodeEnvironment: Node);
        using var admin0 = await SignInAsync(cluster[0]);
        using var admin1 = await SignInAsync(cluster[1]);
        HttpClient[] admins = [admin0, admin1];
        foreach (var name in new[] { "Paused", "Deleted", "Kept" })
        {
            (await admin0.PostAsJsonAsync("/api/admin/monitors", new { Name = name, Url = _target.Url("/ok").ToString(), IntervalSeconds = 1 }))
                .EnsureSuccessStatusCode();
        }
        var paused = await MonitorIdAsync(cluster, "paused");
        var deleted = await MonitorIdAsync(cluster, "deleted");
        var kept = await MonitorIdAsync(cluster, "kept");

        // Each change is made on the node that did not run the monitor's latest slot.
        async Task<HttpClient> NotRunningAsync(int id) => admins[await LatestSlotNodeAsync(cluster, id) == "node-1" ? 1 : 0];
        (await (await NotRunningAsync(paused)).PostAsync("/api/admin/monitors/paused/pause", null)).EnsureSuccessStatusCode();
        // Committed before the answer came: any check started after this is the node's, not the console's, doing.
        var pauseAnswered = DateTimeOffset.UtcNow;
        (await (await NotRunningAsync(deleted)).DeleteAsync("/api/admin/monitors/deleted")).EnsureSuccessStatusCode();
        var deleteAnswered = DateTimeOffset.UtcNow;
        DateTimeOffset pausedAt, deletedAt;
        await using (var db = cluster.OpenDatabase())
        {
            pausedAt = (await db.Monitors.SingleAsync(m => m.Id == paused)).StatusSince!.Value;
            deletedAt = (await db.Monitors.SingleAsync(m => m.Id == deleted)).ArchivedAt!.Value;
        }

        // Long enough for any window armed before the changes to be over: the kept monitor is checked well after them.
        var after = (pausedAt > deletedAt ? pausedAt : deletedAt) + 2 * Partitions.Window;
        await Eventually.Within(Deadline, "the kept monitor checked two windows after the changes", async ct =>
        {
            while (true)
            {
                await using var db = cluster.OpenDatabase();
                if (await db.CheckResults.AnyAsync(c => c.MonitorId == kept && c.Slot > after, ct))
                {
                    return true;
                }
                await Task.Delay(200, ct);
            }
        }, cluster.Output);

        // The node running them hears of the changes a moment later; whatever it checks meanwhile is not stored, moves no
        // state and raises nothing: no check that started after the change was answered is kept, and both stay as changed.
        await using (var db = cluster.OpenDatabase())
        {
            var afterPause = await db.CheckResults.AsNoTracking().Where(c => c.MonitorId == paused && c.At > pauseAnswered)
                .Select(c => new { c.At, c.Slot, c.Node, c.Outcome }).ToListAsync();
            var afterDelete = await db.CheckResults.AsNoTracking().Where(c => c.MonitorId == deleted && c.At > deleteAnswered)
                .Select(c => new { c.At, c.Slot, c.Node, c.Outcome }).ToListAsync();
            Assert.True(afterPause.Count == 0 && afterDelete.Count == 0,
                $"paused at {pausedAt:O}, checked after: {string.Join("; ", afterPause)}; deleted at {deletedAt:O}, checked after: {string.Join("; ", afterDelete)}");
            Assert.Equal(MonitorStatus.Paused, (await db.Monitors.SingleAsync(m => m.Id == paused)).Status);
            Assert.Equal(pausedAt, (await db.Monitors.SingleAsync(m => m.Id == paused)).StatusSince);
            Assert.False(await db.StatusEvents.AnyAsync(e => e.MonitorId == paused && e.At > pausedAt && e.To != MonitorStatus.Paused),
                "no status change after the pause");
        }
    }

    private static readonly Dictionary<string, string> AdminEnvironment = new() { ["UptimeWatch__Admin__InitialPassword"] = Password };

    /// <summary>Node ids the test can name.</summary>
    private static IReadOnlyDictionary<string, string> Node(int index) =>
        new Dictionary<string, string> { ["UptimeWatch__Scheduler__NodeId"] = $"node-{index + 1}" };

    private static async Task<int> MonitorIdAsync(ClusterNodes cluster, string slug)
    {
        await using var db = cluster.OpenDatabase();
        return await db.Monitors.Where(m => m.Slug == slug).Select(m => m.Id).SingleAsync();
    }

    /// <summary>The node that stored the monitor's newest slot (waiting for one).</summary>
    private static Task<string> LatestSlotNodeAsync(ClusterNodes cluster, int id) =>
        Eventually.Within(Deadline, $"a slot of monitor {id} stored", async ct =>
        {
            while (true)
            {
                await using var db = cluster.OpenDatabase();
                if (await db.CheckResults.Where(c => c.MonitorId == id && c.Slot != null && c.Outcome != CheckOutcome.Missed)
                    .OrderByDescending(c => c.Slot).Select(c => c.Node).FirstOrDefaultAsync(ct) is { } node)
                {
                    return node;
                }
                await Task.Delay(100, ct);
            }
        }, cluster.Output);

    private sealed record CheckNowAnswer(DateTimeOffset At, string Outcome, bool Recorded, string Status);

    /// <summary>Asks B to check "api" now until the answer is <paramref name="wanted"/>.</summary>
    private static Task CheckOnBAsync(ClusterNodes cluster, HttpClient nodeB, string what, Func<CheckNow, bool> wanted) =>
        Eventually.Within(Deadline, what, async ct =>
        {
            while (true)
            {
                using var response = await nodeB.PostAsync("/api/admin/monitors/api/check", null, ct);
                if (response.StatusCode != HttpStatusCode.NotFound)
                {
                    response.EnsureSuccessStatusCode();
                    if (wanted((await response.Content.ReadFromJsonAsync<CheckNow>(JsonSerializerOptions.Web, ct))!))
                    {
                        return true;
                    }
                }
                await Task.Delay(100, ct);
            }
        }, cluster.Output);

    private static async Task<HttpClient> SignInAsync(HostProcess node)
    {
        var client = node.NewClient(new HttpClientHandler { CookieContainer = new CookieContainer() });
        (await client.PostAsJsonAsync("/api/admin/login", new { userName = "admin", password = Password })).EnsureSuccessStatusCode();
        return client;
    }

    private sealed record CheckNow(string Outcome, bool Recorded, string Status);
}
