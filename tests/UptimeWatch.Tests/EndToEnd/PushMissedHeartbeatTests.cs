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
        var clock = PushTesting.NewClock();
        await using var app = PushTesting.OnClock(_data, clock, PushTesting.Monitor(intervalSeconds: 3, graceSeconds: 1, failureThreshold: null));
        using var admin = await app.SignedInAsync();
        await PushTesting.HeartbeatAsync(app);
        var sent = clock.GetUtcNow();
        await PushTesting.CheckNowAsync(admin);

        clock.Advance(TimeSpan.FromMilliseconds(4100));
        await app.WaitForStatusAsync("nightly-backup", "pending");
        // Slots come every 3 s as well: however many looks there are, a deadline is missed once.
        clock.Advance(TimeSpan.FromMilliseconds(2800));
        var between = await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await app.WaitForStatusAsync("nightly-backup", "down");

        Assert.Equal((false, "pending"), (between.Recorded, between.Status));
        var downs = (await app.StoredChecksAsync("nightly-backup")).Where(c => c.Outcome == "down").OrderBy(c => c.At).ToList();
        Assert.Equal(2, downs.Count);
        // The public sees the category of each missed heartbeat, not the probe's words.
        Assert.All((await app.ChecksAsync("nightly-backup")).Where(c => c.Outcome == "down"),
            c => Assert.Equal(("heartbeat_missed", "heartbeat missed"), (c.Category, c.Error)));
        Assert.Equal(["no heartbeat for 4 s (expected every 3 s, grace 1 s)", "no heartbeat for 7 s (expected every 3 s, grace 1 s)"],
            downs.Select(c => c.Error));
        Assert.InRange(downs[0].At, sent.AddSeconds(4), sent.AddMilliseconds(4100));
        Assert.InRange(downs[1].At, sent.AddSeconds(7), sent.AddMilliseconds(7100));
        var down = (await app.EventsAsync())[^1];
        Assert.Equal(("up", "down"), (down.From, down.To));
        Assert.Equal("2 consecutive failures: no heartbeat for 7 s (expected every 3 s, grace 1 s)", await app.AdminReasonAsync(down));
    }

    [Fact]
    public async Task A_heartbeat_after_being_down_brings_it_back_up()
    {
        var clock = PushTesting.NewClock();
        await using var app = PushTesting.OnClock(_data, clock, PushTesting.Monitor(intervalSeconds: 1, graceSeconds: 1));
        using var admin = await app.SignedInAsync();
        await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(2100));
        await app.WaitForStatusAsync("nightly-backup", "down");

        var reply = await PushTesting.HeartbeatAsync(app);

        Assert.Equal("up", reply.Status);
        await app.WaitForStatusAsync("nightly-backup", "up");
        var back = (await app.EventsAsync())[^1];
        Assert.Equal(("down", "up", "1 consecutive success: heartbeat received"), (back.From, back.To, await app.AdminReasonAsync(back)));
    }
}
