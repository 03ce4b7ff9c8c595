using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Agents;

/// <summary>
/// "Is it me?" on a single node (docs/locations.md): with canaries configured, a local network outage is one
/// "this node is offline" alert, not a down alert per monitor. The canary is a web server of the test's own that it
/// stops, as the way out of the network going; the alert receiver stops with it, so the alert can only go out once
/// the network is back.
/// </summary>
public sealed class NodeOfflineTests : IAsyncLifetime
{
    private HookedTarget _hooked = null!;
    private HookReceiver _canary = null!;

    public async Task InitializeAsync()
    {
        _hooked = await HookedTarget.StartAsync();
        _canary = await HookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _canary.DisposeAsync();
        await _hooked.DisposeAsync();
    }

    private static async Task<List<string?>> StatusesAsync(UptimeWatchApp app)
    {
        using var client = app.KestrelClient();
        return [.. (await client.GetFromJsonAsync<JsonObject>("/api/status"))!["monitors"]!.AsArray().Select(m => (string?)m!["status"])];
    }

    private static async Task<List<CheckResult>> HeldChecksAsync(UptimeWatchApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        return await db.CheckResults.AsNoTracking().Where(c => c.Outcome == CheckOutcome.Missed && c.Error!.StartsWith("not counted:")).ToListAsync();
    }

    [Fact]
    public async Task With_its_network_gone_a_single_node_holds_every_verdict_and_says_once_that_it_was_offline_when_it_can_again()
    {
        var monitors = new[] { "Shop", "Cart", "Search" }.Select(name => UptimeWatchApp.Monitor(name, _hooked.Target.Url("/health"), failureThreshold: 1));
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), monitors, _hooked.Settings(
            ("Probing:Canaries:0", _canary.Url("/").ToString()),
            // Only the round at the start is periodic: every later one is asked for by a check, the first failure first.
            ("Probing:CanaryIntervalSeconds", "3600")));
        app.StartKestrel();
        await Eventually.Until(() => StatusesAsync(app), s => s.All(x => x == "up"), TimeSpan.FromSeconds(30), "every monitor up");

        // The network goes: the way out (the canary) and the alert receiver with it; every check fails.
        await _canary.StopAsync();
        await _hooked.Receiver.StopAsync();
        _hooked.Target.Healthy = false;
        // Three slots of each monitor held, none counted.
        await Eventually.Until(() => HeldChecksAsync(app), c => c.Count >= 9, TimeSpan.FromSeconds(30), "nine held checks");
        Assert.All(await StatusesAsync(app), s => Assert.Equal("up", s));

        // It comes back.
        _hooked.Target.Healthy = true;
        await _canary.RestartAsync();
        await _hooked.Receiver.RestartAsync();
        var accepted = await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "node.online"), "the node.online alert");

        // One alert that it was offline, delivered once it could be, then one that it is back; nothing per monitor.
        Assert.Equal(["node.offline", "node.online"], accepted.Select(d => d.Event));
        var offline = accepted[0].Node;
        // On PostgreSQL, where nodes may be several, it names the node too.
        Assert.Matches("^UptimeWatch (node [^ ]+ )?at local$", (string)offline["monitor"]!["name"]!);
        Assert.StartsWith("every canary fails since ", (string)offline["reason"]!);
        Assert.Contains("connection refused", ((string)offline["reason"]!).ToLowerInvariant());
        Assert.StartsWith("offline from ", (string)accepted[1].Node["reason"]!);
        // About this node, not a monitor: its outbox rows belong to none.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal([("node.offline", (int?)null), ("node.online", (int?)null)], (await db.Notifications.AsNoTracking()
                .Where(n => n.Event.StartsWith("node.")).OrderBy(n => n.Id).Select(n => new { n.Event, n.MonitorId }).ToListAsync())
                .Select(n => (n.Event, n.MonitorId)));
        }
        using (var client = app.KestrelClient())
        {
            var events = (await client.GetFromJsonAsync<JsonObject>("/api/events?after=0"))!["events"]!.AsArray();
            Assert.All(events, e => Assert.Equal("up", (string?)e!["to"]));
        }
        // What was held is stored as slots with no verdict, each saying what the check found.
        var held = await HeldChecksAsync(app);
        Assert.All(held, c => Assert.StartsWith(
            "not counted: this server could not reach the internet (every canary failed); the check found: ", c.Error));
        Assert.Contains(held, c => c.Error!.Contains("503"));
    }
}
