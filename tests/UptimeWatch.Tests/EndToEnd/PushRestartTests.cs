using System.Net;
using System.Net.Http.Json;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>Push monitors across restarts, removal from the config and pausing.</summary>
public sealed class PushRestartTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    [Fact]
    public async Task A_restart_remembers_the_last_heartbeat_and_raises_no_event_of_its_own()
    {
        var monitor = PushTesting.Monitor(intervalSeconds: 4, graceSeconds: 2);
        DateTimeOffset heartbeat;
        await using (var first = new UptimeWatchApp(_data, [monitor]))
        {
            await first.StatusAsync();
            heartbeat = DateTimeOffset.UtcNow;
            await PushTesting.HeartbeatAsync(first);
            await first.WaitForStatusAsync("nightly-backup", "up", TimeSpan.FromSeconds(10));
        }

        await using var second = new UptimeWatchApp(_data, [monitor]);

        // Straight after the restart: still up, and no event until the remembered heartbeat is overdue.
        Assert.Equal("up", Assert.Single((await second.StatusAsync()).Monitors).Status);
        await second.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(20));
        var events = await second.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.True(events[1].At >= heartbeat.AddSeconds(6), $"down at {events[1].At:O}, before the deadline of {heartbeat:O}");
        // Measured from the heartbeat before the restart, not "none received".
        Assert.Matches(@"^1 consecutive failure: no heartbeat for \d+ s \(expected every 4 s, grace 2 s\)$", await second.AdminReasonAsync(events[1]));
    }

    [Fact]
    public async Task A_heartbeat_due_while_UptimeWatch_was_stopped_gets_a_full_period_after_the_restart()
    {
        var monitor = PushTesting.Monitor(intervalSeconds: 2, graceSeconds: 1);
        await using (var first = new UptimeWatchApp(_data, [monitor]))
        {
            await PushTesting.HeartbeatAsync(first);
            await first.WaitForStatusAsync("nightly-backup", "up", TimeSpan.FromSeconds(10));
        }
        // Stopped past the next heartbeat's deadline: one may have been sent while nobody was listening.
        await Task.Delay(TimeSpan.FromSeconds(3.5));

        var restarted = DateTimeOffset.UtcNow;
        await using var second = new UptimeWatchApp(_data, [monitor]);
        await second.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(20));

        var down = (await second.EventsAsync())[^1];
        Assert.True(down.At >= restarted.AddSeconds(3), $"down at {down.At:O}, less than interval + grace after the restart at {restarted:O}");
        Assert.Matches(@"^1 consecutive failure: no heartbeat for \d+ s \(expected every 2 s, grace 1 s\)$", await second.AdminReasonAsync(down));
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
