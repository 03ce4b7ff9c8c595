using UptimeWatch.Tests.AdminConsole;
namespace UptimeWatch.Tests.EndToEnd;

/// <summary>What missed heartbeats add up to, and how a push monitor comes back.</summary>
public sealed class PushMissedHeartbeatTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    [Fact]
    public async Task Each_missed_heartbeat_is_one_failed_check_so_the_failure_threshold_counts_missed_heartbeats()
    {
        // Default FailureThreshold 2: down at the second deadline without a heartbeat, one interval after the first.
        await using var app = new UptimeWatchApp(_data, [PushTesting.Monitor(intervalSeconds: 3, graceSeconds: 1, failureThreshold: null)]);
        await PushTesting.HeartbeatAsync(app);

        await app.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(20));

        var downs = (await app.StoredChecksAsync("nightly-backup")).Where(c => c.Outcome == "down").OrderBy(c => c.At).ToList();
        Assert.Equal(2, downs.Count);
        // The public sees the category of each missed heartbeat, not the probe's words.
        Assert.All((await app.ChecksAsync("nightly-backup")).Where(c => c.Outcome == "down"),
            c => Assert.Equal(("heartbeat_missed", "heartbeat missed"), (c.Category, c.Error)));
        Assert.Matches(@"^no heartbeat for [45] s \(expected every 3 s, grace 1 s\)$", downs[0].Error);
        Assert.Matches(@"^no heartbeat for [78] s \(expected every 3 s, grace 1 s\)$", downs[1].Error);
        Assert.InRange(downs[1].At - downs[0].At, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(3.5));
        var down = (await app.EventsAsync())[^1];
        Assert.Equal(("up", "down"), (down.From, down.To));
        Assert.StartsWith("2 consecutive failures: no heartbeat for ", await app.AdminReasonAsync(down));
    }

    [Fact]
    public async Task A_heartbeat_after_being_down_brings_it_back_up()
    {
        await using var app = new UptimeWatchApp(_data, [PushTesting.Monitor(intervalSeconds: 1, graceSeconds: 1)]);
        await app.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(15));

        var reply = await PushTesting.HeartbeatAsync(app);

        Assert.Equal("up", reply.Status);
        await app.WaitForStatusAsync("nightly-backup", "up", TimeSpan.FromSeconds(10));
        var back = (await app.EventsAsync())[^1];
        Assert.Equal(("down", "up", "1 consecutive success: heartbeat received"), (back.From, back.To, await app.AdminReasonAsync(back)));
    }
}
