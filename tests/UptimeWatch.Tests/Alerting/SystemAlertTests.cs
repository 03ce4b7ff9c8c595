using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// A system alert is about UptimeWatch itself, not a monitor (docs/alerting.md): a probe location that goes silent
/// (<c>location.offline</c>) and reports again (<c>location.online</c>). Its outbox rows belong to no monitor; they are
/// delivered to the channels of the location's monitors, listed by the admin API under their subject, and left alone
/// when a monitor is deleted. A console monitor (so that it can be deleted) is checked from two agent locations,
/// each a hand-driven agent socket on real Kestrel.
/// </summary>
public sealed class SystemAlertTests : IAsyncLifetime
{
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync();

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    private sealed record Install(UptimeWatchApp App, HttpClient Console, Dictionary<string, (string Token, ReportingAgent Agent)> Agents) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var (_, agent) in Agents.Values)
            {
                await agent.DisposeAsync();
            }
            Console.Dispose();
            await App.DisposeAsync();
        }
    }

    /// <summary>Signed in, with the console monitor "Shop" checked from eu-west and us-east, both reporting up.</summary>
    private async Task<Install> StartAsync()
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], _hooked.Settings());
        app.StartKestrel();
        var console = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = app.BaseUrl };
        using (var setup = await console.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password)))
        {
            setup.EnsureSuccessStatusCode();
        }
        var tokens = new Dictionary<string, string>();
        foreach (var location in new[] { "eu-west", "us-east" })
        {
            using var created = await console.PostAsJsonAsync("/api/admin/agent-tokens", new { location });
            tokens[location] = (string)(await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
        }
        using (var monitor = await console.PostAsJsonAsync("/api/admin/monitors", new Dictionary<string, object>
               {
                   ["Name"] = "Shop", ["Url"] = _hooked.Target.Url("/health").ToString(), ["IntervalSeconds"] = 1, ["TimeoutSeconds"] = 1,
                   ["Locations"] = "eu-west, us-east",
               }))
        {
            monitor.EnsureSuccessStatusCode();
        }
        var agents = new Dictionary<string, (string, ReportingAgent)>();
        foreach (var (location, token) in tokens)
        {
            agents[location] = (token, await ReportingAgent.StartAsync(app, token, location));
        }
        // Both have reported: only a location that reported since the server started can be found silent.
        await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/monitors"))!["monitors"]!.AsArray(),
            m => m.SingleOrDefault()?["locations"]?.AsArray() is { Count: 2 } locations && locations.All(l => (string?)l!["status"] == "up"),
            TimeSpan.FromSeconds(60), "shop up from eu-west and us-east");
        return new Install(app, console, agents);
    }

    private static async Task<List<JsonObject>> NotificationsAsync(HttpClient console) =>
        [.. (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray().Select(n => n!.AsObject())];

    /// <summary>The admin list, once every location alert in it has gone out.</summary>
    private static Task<List<JsonObject>> SentAsync(HttpClient console, int locationAlerts) =>
        Eventually.Until(() => NotificationsAsync(console),
            n => n.Count(x => ((string)x["event"]!).StartsWith("location.", StringComparison.Ordinal) && (string?)x["state"] == "sent") == locationAlerts,
            TimeSpan.FromSeconds(60), $"{locationAlerts} location alert(s) sent");

    /// <summary>The outbox rows of system alerts, as stored.</summary>
    private static async Task<List<(long Id, string Key, int? MonitorId, string Event, NotificationState State, int Attempts, DateTimeOffset? DoneAt)>> StoredAsync(
        UptimeWatchApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        return [.. (await db.Notifications.AsNoTracking().Where(n => n.Event.StartsWith("location.")).OrderBy(n => n.Id)
                .Select(n => new { n.Id, n.Key, n.MonitorId, n.Event, n.State, n.Attempts, n.DoneAt }).ToListAsync())
            .Select(n => (n.Id, n.Key, n.MonitorId, n.Event, n.State, n.Attempts, n.DoneAt))];
    }

    [Fact]
    public async Task A_location_that_goes_silent_and_comes_back_is_two_alerts_stored_with_no_monitor_delivered_and_listed_by_subject()
    {
        await using var install = await StartAsync();
        var (token, agent) = install.Agents["us-east"];

        await agent.DisposeAsync();
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.offline"), "the location.offline alert");
        install.Agents["us-east"] = (token, await ReportingAgent.StartAsync(install.App, token, "us-east"));
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.online"), "the location.online alert");
        var listed = await SentAsync(install.Console, 2);

        // Delivered once each to the monitor's channel, about the location, not about a monitor.
        var delivered = _hooked.Receiver.Accepted.Where(d => d.Event.StartsWith("location.", StringComparison.Ordinal)).ToList();
        Assert.Equal([("location.offline", "location us-east", ""), ("location.online", "location us-east", "")],
            delivered.Select(d => (d.Event, (string)d.Node["monitor"]!["name"]!, (string)d.Node["monitor"]!["slug"]!)));
        Assert.All(delivered, d => Assert.True(d.SignatureValid));
        // Stored with no monitor, one row per channel.
        var stored = await StoredAsync(install.App);
        Assert.Equal([("location.offline", (int?)null, NotificationState.Sent), ("location.online", (int?)null, NotificationState.Sent)],
            stored.Select(s => (s.Event, s.MonitorId, s.State)));
        Assert.Equal(delivered.Select(d => d.Key), stored.Select(s => s.Key));
        // The admin list shows them, newest first, by their subject: no monitor to name.
        var system = listed.Where(n => ((string)n["event"]!).StartsWith("location.", StringComparison.Ordinal)).ToList();
        Assert.Equal([("location.online", null, "location us-east", "hook"), ("location.offline", null, "location us-east", "hook")],
            system.Select(n => ((string)n["event"]!, (string?)n["monitor"], (string)n["subject"]!, (string)n["channel"]!)));
        Assert.All(system, n => Assert.True((bool)Assert.Single(n["attemptLog"]!.AsArray())!["delivered"]!));
    }

    [Fact]
    public async Task Deleting_a_monitor_leaves_the_rows_of_a_system_alert_about_its_location_as_they_were()
    {
        await using var install = await StartAsync();
        await install.Agents["us-east"].Agent.DisposeAsync();
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.offline"), "the location.offline alert");
        await SentAsync(install.Console, 1);
        var before = await StoredAsync(install.App);

        using var deleted = await install.Console.DeleteAsync("/api/admin/monitors/shop");

        deleted.EnsureSuccessStatusCode();
        Assert.Empty((await install.Console.GetFromJsonAsync<JsonObject>("/api/admin/monitors"))!["monitors"]!.AsArray());
        var after = await StoredAsync(install.App);
        Assert.Equal(before, after);
        var row = Assert.Single(after);
        Assert.Equal(("location.offline", (int?)null, NotificationState.Sent), (row.Event, row.MonitorId, row.State));
        var listed = Assert.Single(await NotificationsAsync(install.Console), n => (string)n["event"]! == "location.offline");
        Assert.Equal((row.Id, null, "location us-east", "sent"), ((long)listed["id"]!, (string?)listed["monitor"], (string)listed["subject"]!, (string)listed["state"]!));
    }
}
