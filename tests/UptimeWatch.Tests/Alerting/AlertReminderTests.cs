using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Alerting;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// Reminders (docs/alerting.md): one every <c>RemindEveryMinutes</c> while the alert is open, unacknowledged and the
/// monitor down; each is pushed to admin subscribers as <c>alert.reminded</c> (docs/admin-protocol.md). The dispatcher
/// runs on a fake clock that starts five minutes ahead of real time (what the writer queues at real time is due at
/// once, and no reminder is due yet); the test moves it by whole intervals, so reminder numbers are exact and no wait
/// depends on the dispatcher's 15 s idle cadence in real time.
/// </summary>
public sealed class AlertReminderTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddMinutes(5));
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync();

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    private static (string Monitor, string Key) Said(ReceivedHook d) => (d.Node["monitor"]!["slug"]!.GetValue<string>(), d.Key);

    [Fact]
    public async Task Reminders_come_once_per_interval_are_pushed_as_alert_reminded_and_stop_when_the_alert_is_acknowledged()
    {
        var settings = _hooked.Settings(("Alerting:Defaults:RemindEveryMinutes", "10"));
        // Two monitors of the same failing target: "other" is never acknowledged, so its reminders show that a
        // reminder pass ran (one pass looks at every open alert).
        _hooked.Target.Healthy = false;
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [UptimeWatchApp.Monitor("Checkout", _hooked.Target.Url("/health"), failureThreshold: 1), UptimeWatchApp.Monitor("Other", _hooked.Target.Url("/health"), failureThreshold: 1)],
            settings)
        {
            TestServices = DispatcherClock.Use(_clock),
        };
        using var console = await app.SignedInAsync();
        await _hooked.Receiver.AcceptedAsync(d => d.Count == 2, "both down alerts");
        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        await socket.CommandAsync("subscribe");

        // 25 minutes after the alerts were raised (less the few seconds they took): the second interval has begun, so
        // reminder 2 (one, not 1 and 2).
        app.AdvanceDispatcher(_clock, TimeSpan.FromMinutes(20));
        var reminded = await socket.NextPushAsync(p => p.Type() == "alert.reminded"
            && p.GetProperty("payload").GetProperty("monitor").GetString() == "checkout", "checkout's alert.reminded", TimeSpan.FromSeconds(60));
        await _hooked.Receiver.AcceptedAsync(d => d.Count(x => x.Event == "reminder") == 2, "the two reminders");
        var alertId = reminded.GetProperty("payload").GetProperty("id").GetInt64();
        using var ack = await console.PostAsJsonAsync($"/api/admin/alerts/{alertId}/ack", new { note = "on it" });
        ack.EnsureSuccessStatusCode();

        // Another interval later: "other" is reminded again (3); acknowledged checkout is not.
        app.AdvanceDispatcher(_clock, TimeSpan.FromMinutes(10));
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => Said(x).Monitor == "other" && x.Key.EndsWith(":reminder:3:hook", StringComparison.Ordinal)),
            "other's third reminder");
        // Its pass would have queued checkout's with it: once the outbox is empty, it would have arrived.
        await Eventually.Until(async () => (await console.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
            n => n.All(x => x!["state"]!.GetValue<string>() == "sent"), TimeSpan.FromSeconds(60), "every notification to be sent");

        var reminders = _hooked.Receiver.Accepted.Where(d => d.Event == "reminder").Select(Said)
            .Select(s => (s.Monitor, s.Key[s.Key.IndexOf(":reminder", StringComparison.Ordinal)..])).ToList();
        Assert.Equal([("checkout", ":reminder:2:hook"), ("other", ":reminder:2:hook"), ("other", ":reminder:3:hook")], reminders.Order());
        Assert.Equal(("checkout", "open", "down"), (reminded.GetProperty("payload").GetProperty("monitor").GetString(),
            reminded.GetProperty("payload").GetProperty("state").GetString(), reminded.GetProperty("payload").GetProperty("kind").GetString()));
        Assert.Equal(JsonValueKind.Null, reminded.GetProperty("seq").ValueKind);
        var checkoutReminder = _hooked.Receiver.Accepted.Single(d => d.Event == "reminder" && Said(d).Monitor == "checkout");
        Assert.Equal(alertId, checkoutReminder.Node["incidentId"]!.GetValue<long>());
    }
}
