using UptimeWatch.Tests.AdminConsole;
namespace UptimeWatch.Tests.EndToEnd;

/// <summary>
/// A push monitor whose heartbeats stop, or never start: down once the interval plus grace has passed. On a clock the
/// test moves: just before the deadline a look finds nothing overdue, just after it the monitor is down.
/// </summary>
public sealed class PushDeadlineTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    [Fact]
    public async Task A_monitor_that_never_gets_a_heartbeat_is_down_after_a_full_interval_plus_grace()
    {
        var clock = PushTesting.NewClock();
        var started = clock.GetUtcNow();
        await using var app = PushTesting.OnClock(_data, clock, PushTesting.Monitor(intervalSeconds: 2, graceSeconds: 1));
        using var admin = await app.SignedInAsync();

        Assert.Equal("unknown", Assert.Single((await app.StatusAsync()).Monitors).Status);
        clock.Advance(TimeSpan.FromMilliseconds(2900));
        var early = await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await app.WaitForStatusAsync("nightly-backup", "down");

        Assert.Equal((false, "unknown"), (early.Recorded, early.Status));
        var change = Assert.Single(await app.EventsAsync());
        Assert.Equal(("unknown", "down"), (change.From, change.To));
        Assert.Equal("1 consecutive failure: no heartbeat in the 3 s since monitoring started (expected every 2 s, grace 1 s)",
            await app.AdminReasonAsync(change));
        Assert.Equal(("heartbeat_missed", "heartbeat missed"), (change.Category, change.Reason));
        Assert.InRange(change.At, started.AddSeconds(3), started.AddMilliseconds(3100));
    }

    [Fact]
    public async Task Heartbeats_that_stop_make_it_down_at_the_deadline_with_the_no_heartbeat_reason()
    {
        // Slots every 6 s; the deadline is 7 s after the heartbeat. It must be noticed at the deadline, not at
        // whichever slot comes after it: the clock goes no further than just past the deadline.
        var clock = PushTesting.NewClock();
        await using var app = PushTesting.OnClock(_data, clock, PushTesting.Monitor(intervalSeconds: 6, graceSeconds: 1));
        using var admin = await app.SignedInAsync();
        await PushTesting.HeartbeatAsync(app);
        var sent = clock.GetUtcNow();

        clock.Advance(TimeSpan.FromMilliseconds(6900));
        var early = await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await app.WaitForStatusAsync("nightly-backup", "down");

        Assert.Equal((false, "up"), (early.Recorded, early.Status));
        var events = await app.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.Equal("1 consecutive failure: no heartbeat for 7 s (expected every 6 s, grace 1 s)", await app.AdminReasonAsync(events[1]));
        Assert.InRange(events[1].At, sent.AddSeconds(7), sent.AddMilliseconds(7100));
        var down = (await app.ChecksAsync("nightly-backup"))[0];
        Assert.Equal(("down", null), (down.Outcome, down.ResponseMs));
    }
}
