using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace UptimeWatch.IntegrationTests.Agents;

/// <summary>
/// Three real agent processes (<c>UptimeWatch agent</c>), each probing from its own loopback address through
/// <c>Probing:SourceAddress</c> (127.0.0.2, .3, .4), report to a server on real Kestrel over <c>/ws/agent</c>; the target
/// refuses chosen source addresses, as one network's firewall or broken path would. The monitor names the three
/// locations and is judged by quorum (a majority: 2 of 3).
/// </summary>
public sealed class AgentQuorumTests : IAsyncLifetime
{
    private static readonly (string Location, IPAddress Source)[] Agents =
        [("eu-west", IPAddress.Parse("127.0.0.2")), ("us-east", IPAddress.Parse("127.0.0.3")), ("ap-south", IPAddress.Parse("127.0.0.4"))];

    private readonly Dictionary<string, (HostProcess Process, string Data, string Token)> _agents = [];
    private HookedTarget _hooked = null!;
    // eu-west's canary: the one thing it checks to know it can reach the world beyond its own network.
    private HookReceiver _canary = null!;
    private UptimeWatchApp _app = null!;
    private HttpClient _console = null!;

    public async Task InitializeAsync()
    {
        _hooked = await HookedTarget.StartAsync();
        _canary = await HookReceiver.StartAsync();
        var shop = UptimeWatchApp.Monitor("Shop", _hooked.Target.Url("/health"), failureThreshold: 1);
        shop["Locations"] = string.Join(",", Agents.Select(a => a.Location));
        _app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [shop], _hooked.Settings());
        _app.StartKestrel();
        _console = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = _app.BaseUrl };
        using (var setup = await _console.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(_app.DataDirectory, "correct horse battery staple")))
        {
            setup.EnsureSuccessStatusCode();
        }
        foreach (var (location, source) in Agents)
        {
            using var created = await _console.PostAsJsonAsync("/api/admin/agent-tokens", new { location });
            var token = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
            var data = TestPaths.NewTempDirectory("uw-agent");
            _agents[location] = (StartAgent(data, token, location, source), data, token);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (process, _, _) in _agents.Values)
        {
            await process.DisposeAsync();
        }
        _console.Dispose();
        await _app.DisposeAsync();
        await _hooked.DisposeAsync();
        await _canary.DisposeAsync();
    }

    private HostProcess StartAgent(string data, string token, string location, IPAddress source) =>
        HostProcess.StartCommand(data,
        [
            "agent",
            $"--UptimeWatch:Agent:Server={_app.BaseUrl}",
            $"--UptimeWatch:Agent:Token={token}",
            $"--UptimeWatch:Agent:Location={location}",
            $"--UptimeWatch:DataDirectory={data}",
            $"--UptimeWatch:Probing:SourceAddress={source}",
            .. location == "eu-west" ? [$"--UptimeWatch:Probing:Canaries:0={_canary.Url("/")}"] : Array.Empty<string>(),
        ]);

    private async Task<JsonObject> ShopAsync() => (await _console.GetFromJsonAsync<JsonObject>("/api/admin/monitors/shop"))!;

    private Task<JsonObject> WaitForAsync(string what, Func<JsonObject, bool> done) =>
        Eventually.Until(ShopAsync, done, TimeSpan.FromSeconds(60), what);

    private static string? LocationStatus(JsonObject shop, string location) =>
        (string?)shop["locations"]?.AsArray().SingleOrDefault(l => (string)l!["name"]! == location)?["status"];

    private IEnumerable<string> Alerts() =>
        _hooked.Receiver.Accepted.Where(d => d.Event is "down" or "degraded" or "recovered").Select(d => $"{d.Event}: {(string)d.Node["reason"]!}");

    [Fact]
    public async Task One_network_refused_is_degraded_two_are_one_down_alert_naming_both_and_served_again_one_recovery()
    {
        await WaitForAsync("shop up from all three", s => (string?)s["status"] == "up" && Agents.All(a => LocationStatus(s, a.Location) == "up"));

        _hooked.Target.RefuseFrom(Agents[0].Source);
        var degraded = await WaitForAsync("shop degraded", s => (string?)s["status"] == "degraded");
        Assert.Equal(("down", "up", "up"), (LocationStatus(degraded, "eu-west"), LocationStatus(degraded, "us-east"), LocationStatus(degraded, "ap-south")));
        Assert.Empty(Alerts());

        _hooked.Target.RefuseFrom(Agents[1].Source);
        await WaitForAsync("shop down", s => (string?)s["status"] == "down");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "down"), "the down alert");

        _hooked.Target.ServeEveryone();
        await WaitForAsync("shop up again", s => (string?)s["status"] == "up");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "recovered"), "the recovery");

        var alerts = Alerts().ToList();
        Assert.Equal(2, alerts.Count);
        Assert.Equal("down: down from eu-west, us-east (2 of 3)", alerts[0]);
        Assert.StartsWith("recovered: ", alerts[1]);
    }

    [Fact]
    public async Task An_agent_killed_goes_offline_with_one_location_alert_and_nothing_going_down_and_restarted_it_votes_again()
    {
        await WaitForAsync("shop up from all three", s => (string?)s["status"] == "up" && Agents.All(a => LocationStatus(s, a.Location) == "up"));
        var (process, data, token) = _agents["us-east"];

        await process.KillAsync();
        var offline = await WaitForAsync("us-east offline", s => LocationStatus(s, "us-east") == "offline");

        Assert.Equal("up", (string?)offline["status"]);
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.offline"), "the location.offline alert");
        _agents["us-east"] = (StartAgent(data, token, "us-east", Agents[1].Source), data, token);
        await process.DisposeAsync();
        await WaitForAsync("us-east voting again", s => LocationStatus(s, "us-east") == "up");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.online"), "the location.online alert");
        var events = await _app.EventsAsync();
        Assert.Equal([("unknown", "up")], events.Select(e => (e.From, e.To)));
        Assert.Empty(Alerts());
        // One alert that the location went silent and one that it is back; nothing per monitor.
        Assert.Equal([("location.offline", "location us-east"), ("location.online", "location us-east")],
            _hooked.Receiver.Accepted.Where(d => d.Event.StartsWith("location.", StringComparison.Ordinal))
                .Select(d => (d.Event, (string)d.Node["monitor"]!["name"]!)));
    }

    [Fact]
    public async Task An_agent_whose_canary_stops_has_its_verdicts_held_and_one_alert_says_it_cannot_reach_the_internet()
    {
        await WaitForAsync("shop up from all three", s => (string?)s["status"] == "up" && Agents.All(a => LocationStatus(s, a.Location) == "up"));

        // eu-west's way out breaks: its canary stops answering, then the target refuses it too.
        await _canary.StopAsync();
        _hooked.Target.RefuseFrom(Agents[0].Source);
        var cutOff = await WaitForAsync("eu-west cut off", s => LocationStatus(s, "eu-west") == "cut-off");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.isolated"), "the location.isolated alert");
        Assert.Equal("up", (string?)cutOff["status"]);

        _hooked.Target.ServeEveryone();
        await _canary.RestartAsync();
        await WaitForAsync("eu-west voting again", s => LocationStatus(s, "eu-west") == "up");
        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "location.connected"), "the location.connected alert");

        // Held, not counted: never degraded ("down from eu-west"), never an alert about the monitor.
        var events = await _app.EventsAsync();
        Assert.Equal([("unknown", "up")], events.Select(e => (e.From, e.To)));
        Assert.Empty(Alerts());
        Assert.Equal([("location.isolated", "location eu-west cannot reach the internet: every one of its canaries fails"),
                ("location.connected", "location eu-west reaches the internet again")],
            _hooked.Receiver.Accepted.Where(d => d.Event.StartsWith("location.", StringComparison.Ordinal))
                .Select(d => (d.Event, (string)d.Node["reason"]!)));
    }
}
