using UptimeWatch.Tests.AdminConsole;
namespace UptimeWatch.Tests.EndToEnd;

/// <summary>A push monitor whose heartbeats stop, or never start: down once the interval plus grace has passed.</summary>
public sealed class PushDeadlineTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    [Fact]
    public async Task A_monitor_that_never_gets_a_heartbeat_is_down_after_a_full_interval_plus_grace()
    {
        var started = DateTimeOffset.UtcNow;
        await using var app = new UptimeWatchApp(_data, [PushTesting.Monitor(intervalSeconds: 2, graceSeconds: 1)]);

        Assert.Equal("unknown", Assert.Single((await app.StatusAsync()).Monitors).Status);
        await app.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(15));

        var change = Assert.Single(await app.EventsAsync());
        Assert.Equal(("unknown", "down"), (change.From, change.To));
        Assert.Matches(@"^1 consecutive failure: no heartbeat in the \d+ s since monitoring started \(expected every 2 s, grace 1 s\)$",
            await app.AdminReasonAsync(change));
        Assert.Equal(("heartbeat_missed", "heartbeat missed"), (change.Category, change.Reason));
        Assert.True(change.At >= started.AddSeconds(3), $"down at {change.At:O}, less than interval + grace after {started:O}");
    }

    [Fact]
    public async Task Heartbeats_that_stop_make_it_down_at_the_deadline_with_the_no_heartbeat_reason()
    {
        // Slots every 6 s; the deadline is 7 s after the heartbeat. It must be noticed at the deadline, not at
        // whichever slot comes after it.
        await using var app = new UptimeWatchApp(_data, [PushTesting.Monitor(intervalSeconds: 6, graceSeconds: 1)]);
        await app.StatusAsync();
        var sent = DateTimeOffset.UtcNow;
        await PushTesting.HeartbeatAsync(app);
        var answered = DateTimeOffset.UtcNow;

        await app.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(20));

        var events = await app.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.Matches(@"^1 consecutive failure: no heartbeat for [78] s \(expected every 6 s, grace 1 s\)$", await app.AdminReasonAsync(events[1]));
        Assert.True(events[1].At >= sent.AddSeconds(7), $"down at {events[1].At:O}, before the deadline (heartbeat sent {sent:O})");
        Assert.True(events[1].At <= answered.AddSeconds(9), $"down at {events[1].At:O}, long after the deadline (heartbeat at {answered:O})");
        var down = (await app.ChecksAsync("nightly-backup"))[0];
        Assert.Equal(("down", null), (down.Outcome, down.ResponseMs));
    }
}
