using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>Push monitors across restarts, removal from the config and pausing.</summary>
public sealed class PushRestartTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    /// <summary>A first run that gets one heartbeat, is up, and stops; returns the monitor and when the heartbeat came.</summary>
    private async Task<(Dictionary<string, string?> Monitor, DateTimeOffset Heartbeat)> HeartbeatThenStopAsync(int intervalSeconds, int graceSeconds)
    {
        var monitor = PushTesting.Monitor(intervalSeconds: intervalSeconds, graceSeconds: graceSeconds);
        var before = PushTesting.NewClock();
        var heartbeat = before.GetUtcNow();
        await using (var first = PushTesting.OnClock(_data, before, monitor))
        {
            await PushTesting.HeartbeatAsync(first);
            await first.WaitForStatusAsync("nightly-backup", "up");
        }
        return (monitor, heartbeat);
    }

    [Fact]
    public async Task A_restart_remembers_the_last_heartbeat_and_raises_no_event_of_its_own()
    {
        var (monitor, heartbeat) = await HeartbeatThenStopAsync(intervalSeconds: 4, graceSeconds: 2);

        // Back a second later, well before the next heartbeat is due: its deadline stays 6 s after the last one.
        var clock = new FakeTimeProvider(heartbeat.AddSeconds(1));
        await using var second = PushTesting.OnClock(_data, clock, monitor);
        using var admin = await second.SignedInAsync();
        var afterRestart = Assert.Single((await second.StatusAsync()).Monitors).Status;
        clock.Advance(TimeSpan.FromMilliseconds(4900));
        var early = await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await second.WaitForStatusAsync("nightly-backup", "down");

        // Straight after the restart: still up, and no event until the remembered heartbeat is overdue.
        Assert.Equal("up", afterRestart);
        Assert.Equal((false, "up"), (early.Recorded, early.Status));
        var events = await second.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.InRange(events[1].At, heartbeat.AddSeconds(6), heartbeat.AddMilliseconds(6100));
        // Measured from the heartbeat before the restart, not "none received".
        Assert.Equal("1 consecutive failure: no heartbeat for 6 s (expected every 4 s, grace 2 s)", await second.AdminReasonAsync(events[1]));
    }

    [Fact]
    public async Task A_heartbeat_due_while_UptimeWatch_was_stopped_gets_a_full_period_after_the_restart()
    {
        var (monitor, heartbeat) = await HeartbeatThenStopAsync(intervalSeconds: 2, graceSeconds: 1);

        // Stopped past the next heartbeat's deadline (3 s after it): one may have been sent while nobody was listening.
        var restarted = heartbeat.AddMilliseconds(3500);
        var clock = new FakeTimeProvider(restarted);
        await using var second = PushTesting.OnClock(_data, clock, monitor);
        using var admin = await second.SignedInAsync();
        clock.Advance(TimeSpan.FromMilliseconds(2900));
        var early = await PushTesting.CheckNowAsync(admin);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await second.WaitForStatusAsync("nightly-backup", "down");

        Assert.Equal((false, "up"), (early.Recorded, early.Status));
        var down = (await second.EventsAsync())[^1];
        Assert.InRange(down.At, restarted.AddSeconds(3), restarted.AddMilliseconds(3100));
        Assert.Equal("1 consecutive failure: no heartbeat for 6 s (expected every 2 s, grace 1 s)", await second.AdminReasonAsync(down));
    }

    [Fact]
    public async Task A_push_monitor_removed_from_the_config_answers_404_saying_it_was_archived()
    {
        await using (var first = new UptimeWatchApp(_data, [PushTesting.Monitor(intervalSeconds: 600, graceSeconds: 600)]))
        {
            await PushTesting.HeartbeatAsync(first);
            await PushTesting.WaitForChecksAsync(first, 1);
        }

        await using var second = new UptimeWatchApp(_data, [PushTesting.Monitor("Other job", "other-job-0123456789abcdef")]);
        using var response = await PushTesting.SendAsync(second);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Monitor \"nightly-backup\" was removed from the configuration (archived): its heartbeats are no longer recorded",
            (await response.Content.ReadFromJsonAsync<Problem>())!.Error);
    }

    [Fact]
    public async Task A_paused_push_monitor_answers_409_and_records_nothing()
    {
        var monitor = PushTesting.Monitor(intervalSeconds: 600, graceSeconds: 600);
        await using (var first = new UptimeWatchApp(_data, [monitor]))
        {
            await PushTesting.HeartbeatAsync(first);
            await PushTesting.WaitForChecksAsync(first, 1);
        }
        PushTesting.SetStoredStatus(_data, "nightly-backup", "Paused");

        await using var second = new UptimeWatchApp(_data, [monitor]);
        using var response = await PushTesting.SendAsync(second, "?status=down");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("Monitor \"nightly-backup\" is paused: heartbeats are not recorded until it is resumed",
            (await response.Content.ReadFromJsonAsync<Problem>())!.Error);
        Assert.Single(await second.ChecksAsync("nightly-backup"));
        Assert.Equal("paused", Assert.Single((await second.StatusAsync()).Monitors).Status);
    }
}
