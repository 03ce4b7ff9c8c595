using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Agents;

/// <summary>
/// A monitor checked from three agent locations, judged by quorum (docs/locations.md): each location confirms with the
/// monitor's thresholds, the monitor is down only when the quorum (a majority, 2 of 3) does, degraded when fewer do, and
/// a location that stops reporting is offline and does not vote — never counted as down. The agents are hand-driven
/// sockets on real Kestrel that report the verdict the test sets, one check per slot, every slot.
/// </summary>
public sealed class QuorumJudgingTests : IAsyncLifetime
{
    private static readonly string[] Locations = ["eu-west", "us-east", "ap-south"];
    private HookedTarget _hooked = null!;
    private readonly Dictionary<string, string> _tokens = [];

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync();

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    private async Task<(UptimeWatchApp App, Dictionary<string, ReportingAgent> Agents)> StartAsync(params string[] more)
    {
        var monitors = new[] { "Shop" }.Concat(more).Select(name =>
        {
            var monitor = UptimeWatchApp.Monitor(name, new Uri("http://127.0.0.1:9/health"), failureThreshold: 1);
            monitor["Locations"] = string.Join(", ", Locations);
            return monitor;
        }).ToArray();
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), monitors, _hooked.Settings());
        app.StartKestrel();
        var console = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = app.BaseUrl };
        using (var setup = await console.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password)))
        {
            setup.EnsureSuccessStatusCode();
        }
        var agents = new Dictionary<string, ReportingAgent>();
        foreach (var location in Locations)
        {
            using var created = await console.PostAsJsonAsync("/api/admin/agent-tokens", new { location });
            var token = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
            _tokens[location] = token;
            agents[location] = await ReportingAgent.StartAsync(app, token, location);
        }
        console.Dispose();
        return (app, agents);
    }

    private static async Task<JsonObject> StatusAsync(UptimeWatchApp app)
    {
        using var client = app.KestrelClient();
        return (await client.GetFromJsonAsync<JsonObject>("/api/status"))!["monitors"]!.AsArray().Single(m => (string)m!["slug"]! == "shop")!.AsObject();
    }

    private static Task<JsonObject> WaitForAsync(UptimeWatchApp app, string status) =>
        Eventually.Until(() => StatusAsync(app), m => (string?)m["status"] == status, TimeSpan.FromSeconds(60), $"shop to be {status}");

    private static async Task<List<JsonObject>> EventsAsync(UptimeWatchApp app)
    {
        using var client = app.KestrelClient();
        return [.. (await client.GetFromJsonAsync<JsonObject>("/api/events?after=0"))!["events"]!.AsArray().Select(e => e!.AsObject())];
    }

    [Fact]
    public async Task Down_from_one_location_is_degraded_without_an_alert_from_two_one_down_alert_naming_both_and_back_one_recovery()
    {
        var (app, agents) = await StartAsync();
        await using var _ = app;
        await using var __ = new AsyncDisposables(agents.Values);
        await WaitForAsync(app, "up");

        agents["eu-west"].Verdict = "down";
        await WaitForAsync(app, "degraded");
        agents["us-east"].Verdict = "down";
        await WaitForAsync(app, "down");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "down"), "the down alert");
        agents["us-east"].Verdict = "up";
        await WaitForAsync(app, "degraded");
        agents["eu-west"].Verdict = "up";
        await WaitForAsync(app, "up");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "recovered"), "the recovery");

        // The public log says how many locations, never which.
        var events = (await EventsAsync(app)).Select(e => ((string)e["from"]!, (string)e["to"]!, (string)e["reason"]!)).ToList();
        Assert.Equal([("unknown", "up", "up"), ("up", "degraded", "degraded in 1 of 3 locations"), ("degraded", "down", "down in 2 of 3 locations"),
            ("down", "degraded", "degraded in 1 of 3 locations"), ("degraded", "up", "up")], events);
        // The team hears once that it is down, from where, and once that it is back.
        var alerts = _hooked.Receiver.Accepted.Where(d => d.Event is "down" or "degraded" or "recovered" or "up").ToList();
        Assert.Equal(["down", "recovered"], alerts.Select(a => a.Event));
        Assert.Equal("down from eu-west, us-east (2 of 3)", (string)alerts[0].Node["reason"]!);
        Assert.Equal("down from eu-west (1 of 3)", (string)alerts[1].Node["reason"]!);
    }

    [Fact]
    public async Task A_location_that_stops_reporting_goes_offline_and_never_counts_as_down_and_too_few_reporting_is_unknown()
    {
        var (app, agents) = await StartAsync();
        await using var _ = app;
        await using var __ = new AsyncDisposables(agents.Values);
        await WaitForAsync(app, "up");

        await agents["ap-south"].DisposeAsync();
        await agents["us-east"].DisposeAsync();
        var unknown = await WaitForAsync(app, "unknown");

        var events = (await EventsAsync(app)).Select(e => ((string)e["to"]!, (string)e["reason"]!)).ToList();
        Assert.Equal([("up", "up"), ("unknown", "not enough locations reporting (1 of 3)")], events);
        // The team's log says which locations are silent.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal("1 of 3 locations report, fewer than the quorum of 2: us-east offline, ap-south offline",
                await db.StatusEvents.OrderByDescending(e => e.Id).Select(e => e.Reason).FirstAsync());
        }
        Assert.DoesNotContain(_hooked.Receiver.Accepted, d => d.Event == "down");
        Assert.Equal("unknown", (string?)unknown["status"]);
        // One system alert per silent location, instead of anything per monitor.
        var offline = await _hooked.Receiver.AcceptedAsync(d => d.Count(x => x.Event == "location.offline") >= 2, "two location.offline alerts");
        Assert.Equal(["location ap-south", "location us-east"],
            offline.Where(d => d.Event == "location.offline").Select(d => (string)d.Node["monitor"]!["name"]!).Order());
        Assert.All(offline.Where(d => d.Event == "location.offline"), d => Assert.Contains("no report from", (string)d.Node["reason"]!));
    }

    [Fact]
    public async Task A_location_that_cannot_reach_the_internet_has_its_verdicts_held_and_one_alert_says_so_not_one_per_monitor()
    {
        var (app, agents) = await StartAsync("Cart", "Search");
        await using var _ = app;
        await using var __ = new AsyncDisposables(agents.Values);
        await WaitForAsync(app, "up");
        using var console = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = app.BaseUrl };
        (await console.LoginAsync()).EnsureSuccessStatusCode();

        // eu-west's network is cut: every check it makes fails, and so do its canaries.
        agents["eu-west"].Verdict = "down";
        agents["eu-west"].CutOff = true;
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.isolated"), "the location.isolated alert");
        // Three more slots of every monitor held while it stays cut off: none of them counts.
        var held = await Eventually.Until(() => HeldChecksAsync(app), c => c >= 9, TimeSpan.FromSeconds(30), "nine held checks from eu-west");
        var shop = (await console.GetFromJsonAsync<JsonObject>("/api/admin/monitors/shop"))!;
        Assert.Equal("cut-off", (string?)shop["locations"]!.AsArray().Single(l => (string)l!["name"]! == "eu-west")!["status"]);

        agents["eu-west"].CutOff = false;
        agents["eu-west"].Verdict = "up";
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.connected"), "the location.connected alert");

        // Nothing went degraded, let alone down: every monitor was up from start to end, as the other two saw it.
        var events = (await EventsAsync(app)).Select(e => ((string)e["monitor"]!, (string)e["to"]!)).ToList();
        Assert.Equal([("cart", "up"), ("search", "up"), ("shop", "up")], events.Order());
        // One alert that the location is cut off and one that it is back, for three monitors; nothing per monitor.
        Assert.Equal(["location.isolated", "location.connected"], _hooked.Receiver.Accepted.Select(d => d.Event));
        var isolated = _hooked.Receiver.Accepted[0].Node;
        Assert.Equal("location eu-west", (string)isolated["monitor"]!["name"]!);
        Assert.Equal("location eu-west cannot reach the internet: every one of its canaries fails", (string)isolated["reason"]!);
        // The held checks are stored, as slots with no verdict, saying what they found.
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        var error = await db.CheckResults.Where(c => c.Outcome == CheckOutcome.Missed && c.LocationId != CheckResult.ThisServer)
            .Select(c => c.Error).FirstAsync();
        Assert.Equal("not counted: eu-west could not reach the internet (every canary failed); the check found: connection refused", error);
        Assert.True(held >= 9);
    }

    [Fact]
    public async Task After_a_restart_each_location_is_what_its_stored_checks_left_and_the_status_stands_without_a_new_event_or_alert()
    {
        var (app, agents) = await StartAsync();
        var monitor = UptimeWatchApp.Monitor("Shop", new Uri("http://127.0.0.1:9/health"), failureThreshold: 1);
        monitor["Locations"] = string.Join(", ", Locations);
        List<string> before;
        await using (app)
        {
            await using var _ = new AsyncDisposables(agents.Values);
            await WaitForAsync(app, "up");
            agents["eu-west"].Verdict = "down";
            agents["us-east"].Verdict = "down";
            await WaitForAsync(app, "down");
            await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "down"), "the down alert");
            before = [.. (await EventsAsync(app)).Select(e => (string)e["to"]!)];
        }

        // The same data folder, a new process: before any agent is back, the console already shows what each location
        // had confirmed.
        await using var again = new UptimeWatchApp(app.DataDirectory, [monitor], _hooked.Settings());
        again.StartKestrel();
        using var console = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = again.BaseUrl };
        (await console.LoginAsync()).EnsureSuccessStatusCode();
        var restarted = DateTimeOffset.UtcNow;
        var shop = (await console.GetFromJsonAsync<JsonObject>("/api/admin/monitors/shop"))!;
        Assert.Equal("down", (string?)shop["status"]);
        Assert.Equal(["down", "down", "up"], Locations.Select(l => (string?)shop["locations"]!.AsArray().Single(x => (string)x!["name"]! == l)!["status"]));

        // The agents come back and go on saying the same: nothing changes, nothing is told twice.
        var back = new Dictionary<string, ReportingAgent>();
        foreach (var location in Locations)
        {
            back[location] = await ReportingAgent.StartAsync(again, _tokens[location], location, verdict: location == "ap-south" ? "up" : "down");
        }
        await using var __ = new AsyncDisposables(back.Values);
        await Eventually.Until(() => console.GetFromJsonAsync<JsonObject>("/api/admin/monitors/shop")!,
            s => s!["locations"]!.AsArray().All(l => DateTimeOffset.Parse((string)l!["lastCheckAt"]!) > restarted.AddSeconds(3)),
            TimeSpan.FromSeconds(30), "every location reporting for three intervals after the restart");
        Assert.Equal("down", before[^1]);
        Assert.Equal(before, (await EventsAsync(again)).Select(e => (string)e["to"]!));
        Assert.Single(_hooked.Receiver.Accepted, d => d.Event == "down");
        Assert.DoesNotContain(_hooked.Receiver.Accepted, d => d.Event is "recovered" or "degraded");
    }

    private static async Task<int> HeldChecksAsync(UptimeWatchApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        return await db.CheckResults.CountAsync(c => c.Outcome == CheckOutcome.Missed && c.Error!.StartsWith("not counted: eu-west"));
    }

    private sealed class AsyncDisposables(IEnumerable<IAsyncDisposable> items) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var item in items)
            {
                await item.DisposeAsync();
            }
        }
    }
}
