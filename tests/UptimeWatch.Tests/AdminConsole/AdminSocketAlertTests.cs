using System.Text.Json;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>Alerts and resuming over the admin WebSocket, with a target the test takes down and brings back.</summary>
public sealed class AdminSocketAlertTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private UptimeWatchApp _app = null!;

    public async Task InitializeAsync()
    {
        _target = await TargetServer.StartAsync();
        _app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)]);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _target.DisposeAsync();
    }

    private static Task<JsonElement> PushAsync(AdminSocketClient socket, string type, Func<JsonElement, bool>? also = null) =>
        socket.NextPushAsync(p => p.Type() == type && (also is null || also(p)), type);

    private static Func<JsonElement, bool> To(string status) => p => p.GetProperty("payload").GetProperty("to").GetString() == status;

    private static long Seq(JsonElement push) => push.GetProperty("seq").GetInt64();

    private static (string, long)[] Logged(AdminSocketClient socket, long after, long upTo) =>
    [
        .. socket.Received
            .Where(m => m.TryGetProperty("seq", out var seq) && seq.ValueKind == JsonValueKind.Number && seq.GetInt64() > after && seq.GetInt64() <= upTo)
            .Select(m => (m.Type(), Seq(m))),
    ];

    [Fact]
    public async Task Going_down_raises_an_alert_with_the_status_changes_seq_and_acknowledging_it_by_token_is_pushed_and_recorded()
    {
        var (_, token) = await _app.TokenAsync("ci");
        await using var socket = await AdminSocketClient.ConnectAsync(_app, token: token);
        await _app.WaitForStatusAsync("shop", "up");
        await socket.CommandAsync("subscribe");

        _target.Healthy = false;
        var down = await PushAsync(socket, "status", To("down"));
        var raised = await PushAsync(socket, "alert.raised");
        var alertId = raised.GetProperty("payload").GetProperty("id").GetInt64();
        var open = (await socket.CommandAsync("alerts.list")).GetProperty("payload").GetProperty("alerts");
        var ack = await socket.CommandAsync("alerts.ack", new { id = alertId, note = "looking" });
        var acknowledged = await PushAsync(socket, "alert.acknowledged");
        var again = await socket.CommandAsync("alerts.ack", new { id = alertId, note = "still looking" });
        _target.Healthy = true;
        // After the down: the first up (unknown→up) can be pushed after subscribe too, when it was committed before and
        // published after it (a change seen twice is harmless; the subscribe answer's seq does not filter live pushes).
        var up = await PushAsync(socket, "status", p => To("up")(p) && Seq(p) > Seq(down));
        var resolved = await PushAsync(socket, "alert.resolved");

        Assert.Equal(Seq(down), Seq(raised));
        Assert.Equal(Seq(down), raised.GetProperty("payload").GetProperty("raisedSeq").GetInt64());
        Assert.Equal(("shop", "down", "open"), (raised.GetProperty("payload").GetProperty("monitor").GetString(),
            raised.GetProperty("payload").GetProperty("kind").GetString(), raised.GetProperty("payload").GetProperty("state").GetString()));
        Assert.Contains(open.EnumerateArray(), a => a.GetProperty("id").GetInt64() == alertId);
        var ackd = ack.GetProperty("payload");
        Assert.Equal(("acknowledged", "admin (token ci)", "looking"),
            (ackd.GetProperty("state").GetString(), ackd.GetProperty("acknowledgedBy").GetString(), ackd.GetProperty("note").GetString()));
        Assert.True(Seq(acknowledged) > Seq(down));
        Assert.Equal(alertId, acknowledged.GetProperty("payload").GetProperty("id").GetInt64());
        // Acknowledging twice is not an error; the first acknowledgement stays.
        Assert.Equal(("ok", "looking"), (again.Type(), again.GetProperty("payload").GetProperty("note").GetString()));
        Assert.Equal(Seq(up), Seq(resolved));
        Assert.Equal(("resolved", Seq(up)), (resolved.GetProperty("payload").GetProperty("state").GetString(),
            resolved.GetProperty("payload").GetProperty("resolvedSeq").GetInt64()));
    }

    [Fact]
    public async Task Resuming_with_after_replays_exactly_the_missed_events_then_continues_live()
    {
        var cookie = await _app.SessionCookieAsync();
        await _app.WaitForStatusAsync("shop", "up");
        await using var watcher = await AdminSocketClient.ConnectAsync(_app, cookie);
        await watcher.CommandAsync("subscribe");
        long lastSeen;
        await using (var first = await AdminSocketClient.ConnectAsync(_app, cookie))
        {
            // The newest seq, as a client keeps it from the ok and from each push.
            lastSeen = (await first.CommandAsync("subscribe")).GetProperty("payload").GetProperty("seq").GetInt64();
        }

        // Missed while disconnected: down (alert raised), acknowledged, up (alert resolved).
        _target.Healthy = false;
        var raised = await PushAsync(watcher, "alert.raised");
        await watcher.CommandAsync("alerts.ack", new { id = raised.GetProperty("payload").GetProperty("id").GetInt64() });
        await PushAsync(watcher, "alert.acknowledged");
        _target.Healthy = true;
        var resolved = await PushAsync(watcher, "alert.resolved");

        await using var resumed = await AdminSocketClient.ConnectAsync(_app, cookie);
        var ok = await resumed.CommandAsync("subscribe", new { after = lastSeen });
        // And one more, live, after resuming.
        _target.Healthy = false;
        var last = Seq(await PushAsync(watcher, "alert.raised"));
        await PushAsync(resumed, "alert.raised", p => Seq(p) == last);

        Assert.True(ok.GetProperty("payload").GetProperty("seq").GetInt64() >= Seq(resolved));
        var missed = Logged(watcher, lastSeen, last);
        Assert.Equal(
            ["status", "alert.raised", "alert.acknowledged", "status", "alert.resolved", "status", "alert.raised"],
            missed.Select(m => m.Item1));
        Assert.Equal(missed, Logged(resumed, 0, long.MaxValue));
    }

    [Fact]
    public async Task A_cursor_newer_than_the_log_gets_ok_then_a_reset()
    {
        var cookie = await _app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(_app, cookie);

        var ok = await socket.CommandAsync("subscribe", new { after = 1_000_000_000 });
        var first = (await socket.ReceiveAsync())!.Value;

        Assert.Equal("ok", ok.Type());
        Assert.Equal(("reset", JsonValueKind.Null), (first.Type(), first.GetProperty("seq").ValueKind));
        Assert.Contains("reload", first.GetProperty("payload").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task After_a_restart_subscribe_reports_the_newest_seq_of_the_log()
    {
        var data = TestPaths.NewTempDirectory();
        long newest;
        await using (var before = new UptimeWatchApp(data, [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)]))
        {
            await before.WaitForStatusAsync("shop", "up");
            newest = (await before.EventsAsync()).Max(e => e.Id);
        }

        await using var after = new UptimeWatchApp(data, [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)]);
        await using var socket = await AdminSocketClient.ConnectAsync(after, await after.SessionCookieAsync());
        var ok = await socket.CommandAsync("subscribe");
        var logAfter = await after.EventsAsync();

        // The protocol promises the newest seq in the log: shop stays up, so nothing was added since the restart,
        // and the answer is exactly the seq the log ended at (not merely one at least as new).
        Assert.Equal(newest, logAfter.Max(e => e.Id));
        Assert.Equal(newest, ok.GetProperty("payload").GetProperty("seq").GetInt64());
    }
}
