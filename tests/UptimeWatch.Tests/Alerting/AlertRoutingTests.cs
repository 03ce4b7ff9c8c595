using System.Net.Http.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// What docs/alerting.md promises about which notifications are sent and where, end to end: checks of a real target,
/// the app's own outbox and dispatcher, real webhook receivers on 127.0.0.1. "Nothing was sent" cannot be waited
/// for, so each test waits for a later notification on the same channel instead: a channel gets its notifications
/// oldest first, so one that was queued before would have arrived before it.
/// </summary>
public sealed class AlertRoutingTests : IAsyncLifetime
{
    private const string Secret = "receiver-shared-secret";
    private TargetServer _target = null!;
    private HookReceiver _first = null!;
    private HookReceiver _second = null!;

    public async Task InitializeAsync()
    {
        _target = await TargetServer.StartAsync();
        _first = await HookReceiver.StartAsync(Secret);
        _second = await HookReceiver.StartAsync(Secret);
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _target.DisposeAsync();
    }

    private Dictionary<string, string?> Settings(bool both)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Channels:first:Type"] = "webhook",
            ["UptimeWatch:Alerting:Channels:first:Url"] = _first.Url("/hook").ToString(),
            ["UptimeWatch:Alerting:Channels:first:Secret"] = Secret,
            ["UptimeWatch:Alerting:Delivery:FirstRetrySeconds"] = "1",
            ["UptimeWatch:Alerting:Delivery:MaxRetrySeconds"] = "1",
        };
        if (both)
        {
            settings["UptimeWatch:Alerting:Channels:second:Type"] = "webhook";
            settings["UptimeWatch:Alerting:Channels:second:Url"] = _second.Url("/hook").ToString();
            settings["UptimeWatch:Alerting:Channels:second:Secret"] = Secret;
        }
        return settings;
    }

    private Dictionary<string, string?> Monitor(string name, params (string Key, string Value)[] alerts)
    {
        var monitor = UptimeWatchApp.Monitor(name, _target.Url("/health"), failureThreshold: 1);
        foreach (var (key, value) in alerts)
        {
            monitor["Alerts:" + key] = value;
        }
        return monitor;
    }

    private static async Task<JsonArray> AlertsAsync(HttpClient console) =>
        (await console.GetFromJsonAsync<JsonObject>("/api/admin/alerts?state=all"))!["alerts"]!.AsArray();

    private static async Task OutboxSentAsync(HttpClient console) =>
        await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
            n => n.All(x => x!["state"]!.GetValue<string>() == "sent"), TimeSpan.FromSeconds(60), "every notification to be sent");

    private static (string Monitor, string Event) Said(ReceivedHook d) => (d.Node["monitor"]!["slug"]!.GetValue<string>(), d.Event);

    [Fact]
    public async Task A_maintenance_window_closes_the_open_alert_without_a_recovered_notification()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor("Checkout")], Settings(both: false));
        using var console = await app.SignedInAsync();
        _target.Healthy = false;
        var down = Assert.Single(await _first.AcceptedAsync(d => d.Count >= 1, "the down alert"));

        // Maintenance starts while it is down and the target comes back meanwhile: the alert closes, quietly.
        using var created = await console.PostAsJsonAsync("/api/admin/monitors/checkout/maintenance", new { minutes = 30, reason = "upgrade" });
        created.EnsureSuccessStatusCode();
        var window = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        await app.WaitForStatusAsync("checkout", "maintenance");
        _target.Healthy = true;
        var closed = await Eventually.Until(() => AlertsAsync(console), a => a.Count == 1 && a[0]!["state"]!.GetValue<string>() == "resolved",
            TimeSpan.FromSeconds(30), "the alert to be resolved");
        // The window ends with the target up (nothing to say), then it fails again: a new incident, a new "down".
        using var removed = await console.DeleteAsync($"/api/admin/maintenance/{window}");
        removed.EnsureSuccessStatusCode();
        await app.WaitForStatusAsync("checkout", "up");
        _target.Healthy = false;
        var delivered = await _first.AcceptedAsync(d => d.Count >= 2, "the second down alert");

        // Had maintenance sent a "recovered", it would have been queued before the second down, and arrived first.
        Assert.Equal(["down", "down"], delivered.Select(d => d.Event));
        Assert.Equal(down.Node["incidentId"]!.GetValue<long>(), closed[0]!["id"]!.GetValue<long>());
        Assert.NotEqual(delivered[0].Node["incidentId"]!.GetValue<long>(), delivered[1].Node["incidentId"]!.GetValue<long>());
    }

    [Fact]
    public async Task OnDown_false_sends_no_down_but_still_the_recovery_and_a_monitors_channels_are_the_only_ones_it_uses()
    {
        // Payments goes only to "first"; Blog to every channel (no Channels of its own) but without its down.
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [Monitor("Payments", ("Channels:0", "first")), Monitor("Blog", ("OnDown", "false"))], Settings(both: true));
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("payments", "up");
        await app.WaitForStatusAsync("blog", "up");

        _target.Healthy = false;
        await _first.AcceptedAsync(d => d.Any(x => Said(x) == ("payments", "down")), "payments' down alert");
        await app.WaitForStatusAsync("blog", "down");
        // OnDown off still opens the incident (its recovery below belongs to it); it only sends nothing.
        var alerts = await Eventually.Until(() => AlertsAsync(console), a => a.Count == 2, TimeSpan.FromSeconds(30), "both alerts");
        _target.Healthy = true;
        await _first.AcceptedAsync(d => d.Count >= 3, "both recoveries on the first channel");
        await _second.AcceptedAsync(d => d.Count >= 1, "blog's recovery on the second channel");
        await OutboxSentAsync(console);

        var first = _first.Accepted.Select(Said).ToList();
        Assert.Equal(("payments", "down"), first[0]);
        Assert.Equal([("blog", "recovered"), ("payments", "recovered")], first.Skip(1).Order());
        Assert.Equal([("blog", "recovered")], _second.Accepted.Select(Said));
        var blogAlert = Assert.Single(alerts, a => a!["monitor"]!.GetValue<string>() == "blog");
        Assert.Equal(blogAlert!["id"]!.GetValue<long>(), _second.Accepted[0].Node["incidentId"]!.GetValue<long>());
    }
}
