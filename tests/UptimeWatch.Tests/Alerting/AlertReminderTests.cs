using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// Reminders (docs/alerting.md): one every <c>RemindEveryMinutes</c> while the alert is open, unacknowledged and the
/// monitor down; each is pushed to admin subscribers as <c>alert.reminded</c> (docs/admin-protocol.md). Time is moved
/// by moving the alerts' <c>RaisedAt</c> back in the database, as if that long had passed.
/// </summary>
public sealed class AlertReminderTests : IAsyncLifetime
{
    private const string Secret = "receiver-shared-secret";
    private TargetServer _target = null!;
    private HookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _target = await TargetServer.StartAsync();
        _receiver = await HookReceiver.StartAsync(Secret);
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _target.DisposeAsync();
    }

    private static async Task OlderAsync(UptimeWatchApp app, TimeSpan by)
    {
        await using var connection = new SqliteConnection($"Data Source={app.DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE alerts SET RaisedAt = RaisedAt - {(long)by.TotalMilliseconds} WHERE ResolvedAt IS NULL";
        Assert.Equal(2, await command.ExecuteNonQueryAsync());
    }

    private Task<IReadOnlyList<ReceivedHook>> DeliveredAsync(Func<IReadOnlyList<ReceivedHook>, bool> done, string what) =>
        Eventually.Until(() => Task.FromResult(_receiver.Accepted), done, TimeSpan.FromSeconds(60), what);

    private static (string Monitor, string Key) Said(ReceivedHook d) => (d.Node["monitor"]!["slug"]!.GetValue<string>(), d.Key);

    [Fact]
    public async Task Reminders_come_once_per_interval_are_pushed_as_alert_reminded_and_stop_when_the_alert_is_acknowledged()
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Channels:hook:Type"] = "webhook",
            ["UptimeWatch:Alerting:Channels:hook:Url"] = _receiver.Url("/hook").ToString(),
            ["UptimeWatch:Alerting:Channels:hook:Secret"] = Secret,
            ["UptimeWatch:Alerting:Defaults:RemindEveryMinutes"] = "10",
        };
        // Two monitors of the same failing target: "other" is never acknowledged, so its reminders show that a
        // reminder pass ran (one pass looks at every open alert).
        _target.Healthy = false;
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [UptimeWatchApp.Monitor("Checkout", _target.Url("/health"), failureThreshold: 1), UptimeWatchApp.Monitor("Other", _target.Url("/health"), failureThreshold: 1)],
            settings);
        using var console = await app.SignedInAsync();
        await DeliveredAsync(d => d.Count == 2, "both down alerts");
        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        await socket.CommandAsync("subscribe");

        // 25 minutes after the alerts were raised: the second interval has begun, so reminder 2 (one, not 1 and 2).
        await OlderAsync(app, TimeSpan.FromMinutes(25));
        var reminded = await socket.NextPushAsync(p => p.Type() == "alert.reminded"
            && p.GetProperty("payload").GetProperty("monitor").GetString() == "checkout", "checkout's alert.reminded", TimeSpan.FromSeconds(60));
        await DeliveredAsync(d => d.Count(x => x.Event == "reminder") == 2, "the two reminders");
        var alertId = reminded.GetProperty("payload").GetProperty("id").GetInt64();
        using var ack = await console.PostAsJsonAsync($"/api/admin/alerts/{alertId}/ack", new { note = "on it" });
        ack.EnsureSuccessStatusCode();

        // Another interval later: "other" is reminded again (3); acknowledged checkout is not.
        await OlderAsync(app, TimeSpan.FromMinutes(10));
        await DeliveredAsync(d => d.Any(x => Said(x).Monitor == "other" && x.Key.EndsWith(":reminder:3:hook", StringComparison.Ordinal)),
            "other's third reminder");
        // Its pass would have queued checkout's with it: once the outbox is empty, it would have arrived.
        await Eventually.Until(async () => (await console.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
            n => n.All(x => x!["state"]!.GetValue<string>() == "sent"), TimeSpan.FromSeconds(60), "every notification to be sent");

        var reminders = _receiver.Accepted.Where(d => d.Event == "reminder").Select(Said)
            .Select(s => (s.Monitor, s.Key[s.Key.IndexOf(":reminder", StringComparison.Ordinal)..])).ToList();
        Assert.Equal([("checkout", ":reminder:2:hook"), ("other", ":reminder:2:hook"), ("other", ":reminder:3:hook")], reminders.Order());
        Assert.Equal(("checkout", "open", "down"), (reminded.GetProperty("payload").GetProperty("monitor").GetString(),
            reminded.GetProperty("payload").GetProperty("state").GetString(), reminded.GetProperty("payload").GetProperty("kind").GetString()));
        Assert.Equal(JsonValueKind.Null, reminded.GetProperty("seq").ValueKind);
        var checkoutReminder = _receiver.Accepted.Single(d => d.Event == "reminder" && Said(d).Monitor == "checkout");
        Assert.Equal(alertId, checkoutReminder.Node["incidentId"]!.GetValue<long>());
    }
}
