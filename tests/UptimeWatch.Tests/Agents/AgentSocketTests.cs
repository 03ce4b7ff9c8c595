using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Agents;

/// <summary>
/// <c>/ws/agent</c> (docs/agent-protocol.md) on real Kestrel, driven by hand: who may open it, what an agent is given to
/// check, and what becomes of what it reports — stored once on its own slot and location, or refused naming the field.
/// </summary>
public sealed class AgentSocketTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private sealed record Server(UptimeWatchApp App, HttpClient Console, CookieContainer Cookies, int TokenId, string Token) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Console.Dispose();
            await App.DisposeAsync();
        }

        public Task<AgentSocketClient> ConnectAsync(string? location = "eu-west") => AgentSocketClient.ConnectAsync(App, Token, location);

        /// <summary>The agent location's stored checks of a monitor: (slot, outcome, response ms, status, error), by slot.</summary>
        public async Task<List<(DateTimeOffset? Slot, CheckOutcome Outcome, int? ResponseMs, int? HttpStatus, string? Error)>> AgentChecksAsync(int monitorId)
        {
            await using var db = await App.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
            var rows = await db.CheckResults.AsNoTracking().Where(c => c.MonitorId == monitorId && c.LocationId != CheckResult.ThisServer)
                .Select(c => new { c.Slot, c.Outcome, c.ResponseMs, c.HttpStatus, c.Error, c.LocationId }).ToListAsync();
            var location = await db.Locations.AsNoTracking().SingleAsync(l => l.Name == "eu-west");
            Assert.All(rows, r => Assert.Equal(location.Id, r.LocationId));
            return [.. rows.Select(r => (r.Slot, r.Outcome, r.ResponseMs, r.HttpStatus, r.Error)).OrderBy(r => r.Slot)];
        }
    }

    private static Dictionary<string, string?> Monitor(string name, string locations)
    {
        var monitor = UptimeWatchApp.Monitor(name, new Uri("http://127.0.0.1:9/health"));
        monitor["Locations"] = locations;
        monitor["IntervalSeconds"] = ((int)Interval.TotalSeconds).ToString();
        return monitor;
    }

    private static async Task<Server> StartAsync()
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [Monitor("EU shop", "eu-west"), Monitor("Server only", "local"), Monitor("Everywhere", "all")]);
        app.StartKestrel();
        var cookies = new CookieContainer();
        var console = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = app.BaseUrl };
        using (var setup = await console.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password)))
        {
            setup.EnsureSuccessStatusCode();
        }
        using var created = await console.PostAsJsonAsync("/api/admin/agent-tokens", new { location = "eu-west" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        return new Server(app, console, cookies, (int)token["id"]!, (string)token["secret"]!);
    }

    private static Dictionary<string, int> Ids(JsonObject welcome) =>
        welcome["monitors"]!.AsArray().ToDictionary(m => (string)m!["slug"]!, m => (int)m!["id"]!);

    /// <summary>The monitor's slots of the last few minutes, oldest first: on its grid, all in the past.</summary>
    private static List<DateTimeOffset> PastSlots(int monitorId, int count) =>
        Partitions.SlotsIn(monitorId, Interval, DateTimeOffset.UtcNow - Interval * (count + 1), DateTimeOffset.UtcNow, count);

    private static object Check(int monitor, DateTimeOffset slot, string verdict = "down", int elapsedMs = 12, int? httpStatus = null,
        DateTimeOffset? at = null) => new
    {
        monitor, slot, at = at ?? slot.AddMilliseconds(4), verdict, elapsedMs, httpStatus,
        failure = verdict == "down" ? "connectionRefused" : null, error = verdict == "down" ? "connection refused" : null,
        timings = new { dnsMs = (int?)null, connectMs = 1, tlsMs = (int?)null, firstByteMs = (int?)null }, certificateDaysLeft = (int?)null,
    };

    [Fact]
    public async Task Only_an_agent_token_without_an_origin_opens_the_socket()
    {
        await using var server = await StartAsync();
        using var apiToken = await server.Console.PostAsJsonAsync("/api/admin/tokens", new { name = "script" });
        var apiSecret = (string)(await apiToken.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
        using var plain = new HttpClient { BaseAddress = server.App.BaseUrl };
        plain.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, await AgentSocketClient.RefusedAsync(server.App, null, "eu-west"));
        Assert.Equal(HttpStatusCode.Unauthorized, await AgentSocketClient.RefusedAsync(server.App, apiSecret, "eu-west"));
        Assert.Equal(HttpStatusCode.Unauthorized, await AgentSocketClient.RefusedAsync(server.App, server.Token[..^1] + (server.Token[^1] == 'x' ? "y" : "x"), "eu-west"));
        Assert.Equal(HttpStatusCode.Forbidden, await AgentSocketClient.RefusedAsync(server.App, server.Token, "eu-west", origin: server.App.BaseUrl.GetLeftPart(UriPartial.Authority)));
        using var notUpgrade = await plain.GetAsync("/ws/agent");
        Assert.Equal(HttpStatusCode.BadRequest, notUpgrade.StatusCode);
        var listed = (await server.Console.GetFromJsonAsync<JsonObject>("/api/admin/agent-tokens"))!["tokens"]!.AsArray().Single()!;
        Assert.Null(listed["lastUsedAt"]); // refused attempts are not uses

        await using var agent = await server.ConnectAsync();
        Assert.Equal("welcome", (string?)(await agent.NextAsync())!["type"]);
        listed = (await server.Console.GetFromJsonAsync<JsonObject>("/api/admin/agent-tokens"))!["tokens"]!.AsArray().Single()!;
        Assert.NotNull(listed["lastUsedAt"]?.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task The_welcome_lists_the_monitors_of_the_agents_location_with_their_fields()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync("EU-West");

        var welcome = await agent.NextAsync("welcome");

        Assert.Equal("eu-west", (string?)welcome["location"]);
        Assert.Equal(["eu-shop", "everywhere"], welcome["monitors"]!.AsArray().Select(m => (string)m!["slug"]!));
        var shop = welcome["monitors"]![0]!;
        Assert.Equal(("EU shop", "http://127.0.0.1:9/health", "30", "eu-west"),
            ((string?)shop["fields"]!["Name"], (string?)shop["fields"]!["Url"], (string?)shop["fields"]!["IntervalSeconds"], (string?)shop["fields"]!["Locations"]));
        Assert.Equal((262144, 500), ((int)welcome["limits"]!["maxMessageBytes"]!, (int)welcome["limits"]!["maxChecksPerMessage"]!));
        Assert.InRange(DateTimeOffset.Parse((string)welcome["serverTime"]!), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task An_agent_set_up_for_another_location_than_its_tokens_is_closed_with_1008_naming_both()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync("us-east");

        var (status, reason) = await agent.ClosedAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Contains("\"eu-west\"", reason);
        Assert.Contains("\"us-east\"", reason);
    }

    [Fact]
    public async Task Checks_are_stored_on_their_slot_and_location_once_and_a_replayed_message_stores_nothing_twice()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        var shop = Ids(await agent.NextAsync("welcome"))["eu-shop"];
        var slots = PastSlots(shop, 3);
        object[] checks = [Check(shop, slots[0], "up", 40, 200), Check(shop, slots[1]), Check(shop, slots[2], "degraded", 900, 200)];

        await agent.SendAsync(new { type = "results", seq = 41, checks });
        var first = await agent.NextAsync("ack");
        await agent.SendAsync(new { type = "results", seq = 42, checks = checks.Append(Check(shop, slots[2])).ToArray() });
        var replay = await agent.NextAsync("ack");

        Assert.Equal((41L, 3, 0, 0), ((long)first["seq"]!, (int)first["stored"]!, (int)first["duplicates"]!, first["refused"]!.AsArray().Count));
        Assert.Equal((42L, 0, 4, 0), ((long)replay["seq"]!, (int)replay["stored"]!, (int)replay["duplicates"]!, replay["refused"]!.AsArray().Count));
        Assert.Equal([(slots[0], CheckOutcome.Up, 40, 200, null), (slots[1], CheckOutcome.Down, 12, null, "connection refused"),
            (slots[2], CheckOutcome.Degraded, 900, 200, null)],
            (await server.AgentChecksAsync(shop)).Select(c => ((DateTimeOffset)c.Slot!, c.Outcome, (int)c.ResponseMs!, c.HttpStatus, c.Error)));
    }

    [Fact]
    public async Task Checks_an_agent_may_not_report_are_refused_one_by_one_naming_the_field_and_value_and_the_rest_are_stored()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        var welcome = await agent.NextAsync("welcome");
        var shop = Ids(welcome)["eu-shop"];
        var serverOnly = shop + 1; // configured right after it, never sent to eu-west
        Assert.DoesNotContain(serverOnly, Ids(welcome).Values);
        var slot = PastSlots(shop, 1)[0];

        await agent.SendAsync(new
        {
            type = "results", seq = 7, checks = new[]
            {
                Check(shop, slot),
                Check(serverOnly, Partitions.SlotAtOrAfter(serverOnly, Interval, slot)),
                Check(shop, slot.AddMilliseconds(1)),
                Check(shop, slot + Interval * 4),
                Check(shop, Partitions.SlotAtOrAfter(shop, Interval, DateTimeOffset.UtcNow.AddDays(-8))),
                Check(shop, slot - Interval, at: slot - Interval - TimeSpan.FromSeconds(6)),
                Check(shop, slot - Interval * 2, elapsedMs: -1),
                Check(shop, slot - Interval * 3, httpStatus: 42),
            },
        });
        var ack = await agent.NextAsync("ack");

        Assert.Equal((1, 0), ((int)ack["stored"]!, (int)ack["duplicates"]!));
        var refused = ack["refused"]!.AsArray().Select(r => ((int)r!["index"]!, (string)r["field"]!, (string)r["error"]!)).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], refused.Select(r => r.Item1));
        Assert.Equal(["checks[1].monitor", "checks[2].slot", "checks[3].slot", "checks[4].slot", "checks[5].at", "checks[6].elapsedMs", "checks[7].httpStatus"],
            refused.Select(r => r.Item2));
        Assert.Equal(serverOnly.ToString(), (string)ack["refused"]![0]!["value"]!);
        Assert.Contains("not a monitor assigned to eu-west", refused[0].Item3);
        Assert.Contains("not a slot of eu-shop's schedule", refused[1].Item3);
        Assert.Contains("ahead of the server's clock", refused[2].Item3);
        Assert.Contains("older than the check retention (7 days)", refused[3].Item3);
        Assert.Equal([slot], (await server.AgentChecksAsync(shop)).Select(c => (DateTimeOffset)c.Slot!));
        Assert.Empty(await server.AgentChecksAsync(serverOnly));
    }

    [Fact]
    public async Task An_agents_check_reaches_the_console_live_naming_the_agents_location()
    {
        await using var server = await StartAsync();
        await using var console = await AdminSocketClient.ConnectAsync(server.App.BaseUrl, server.Cookies.GetCookieHeader(server.App.BaseUrl));
        await console.CommandAsync("subscribe");
        await using var agent = await server.ConnectAsync();
        var shop = Ids(await agent.NextAsync("welcome"))["eu-shop"];

        await agent.SendAsync(new { type = "results", seq = 1, checks = new[] { Check(shop, PastSlots(shop, 1)[0], "up", 33, 200) } });
        await agent.NextAsync("ack");
        var push = await console.NextPushAsync(p => p.GetProperty("type").GetString() == "check"
            && p.GetProperty("payload").GetProperty("monitor").GetString() == "eu-shop", "eu-shop's check", TimeSpan.FromSeconds(30));

        Assert.Equal(("eu-west", "up", 33), (push.GetProperty("payload").GetProperty("location").GetString(),
            push.GetProperty("payload").GetProperty("outcome").GetString(), push.GetProperty("payload").GetProperty("responseMs").GetInt32()));
    }

    public static TheoryData<string, WebSocketCloseStatus, string> BrokenMessages => new()
    {
        { "not json", WebSocketCloseStatus.InvalidPayloadData, "not a valid message" },
        { "{\"type\":\"welcome\"}", WebSocketCloseStatus.InvalidPayloadData, "agents send only \"results\"" },
        { "{\"type\":\"results\",\"seq\":1}", WebSocketCloseStatus.InvalidPayloadData, "needs \"checks\"" },
        { "{\"type\":\"results\",\"seq\":1,\"checks\":[{\"monitor\":1,\"slot\":\"2026-01-01T00:00:00Z\",\"at\":\"2026-01-01T00:00:00Z\",\"verdict\":\"sideways\",\"elapsedMs\":1}]}",
            WebSocketCloseStatus.InvalidPayloadData, "checks[0].verdict" },
        { "big", WebSocketCloseStatus.MessageTooBig, "at most 262144 bytes" },
        { "many", WebSocketCloseStatus.MessageTooBig, "at most 500 checks, not 501" },
    };

    [Theory]
    [MemberData(nameof(BrokenMessages))]
    public async Task A_message_that_breaks_the_protocol_closes_the_socket_saying_why_and_stores_nothing(string message, WebSocketCloseStatus code, string why)
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        var shop = Ids(await agent.NextAsync("welcome"))["eu-shop"];
        var slot = PastSlots(shop, 1)[0];

        if (message == "many")
        {
            await agent.SendAsync(new { type = "results", seq = 1, checks = Enumerable.Range(0, 501).Select(i => Check(shop, slot - Interval * i)).ToArray() });
        }
        else
        {
            await agent.SendRawAsync(message == "big"
                ? Encoding.UTF8.GetBytes($"{{\"type\":\"results\",\"seq\":1,\"checks\":[],\"pad\":\"{new string('x', 300 * 1024)}\"}}")
                : Encoding.UTF8.GetBytes(message));
        }
        var (status, reason) = await agent.ClosedAsync();

        Assert.Equal(code, status);
        Assert.Contains(why, reason);
        Assert.Empty(await server.AgentChecksAsync(shop));
    }

    [Fact]
    public async Task Revoking_the_token_closes_the_socket_with_1008_and_a_later_connection_with_it_is_closed_the_same_way()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        await agent.NextAsync("welcome");

        using var revoked = await server.Console.DeleteAsync($"/api/admin/agent-tokens/{server.TokenId}");
        revoked.EnsureSuccessStatusCode();
        var (status, reason) = await agent.ClosedAsync();

        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "the agent token was revoked"), (status, reason));
        // Connecting again: the socket opens only to be closed the same way, so an agent knows to stop, not to retry.
        await using var again = await server.ConnectAsync();
        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "the agent token was revoked"), await again.ClosedAsync());
        Assert.DoesNotContain(again.Received, m => (string?)m["type"] == "welcome");
    }

    [Fact]
    public async Task The_token_list_counts_the_agents_connected_with_it_now_and_none_once_it_is_revoked()
    {
        await using var server = await StartAsync();
        async Task<int> ConnectionsAsync() =>
            (int)(await server.Console.GetFromJsonAsync<JsonObject>("/api/admin/agent-tokens"))!["tokens"]!.AsArray().Single()!["connections"]!;
        Assert.Equal(0, await ConnectionsAsync());

        await using var first = await server.ConnectAsync();
        await first.NextAsync("welcome");
        Assert.Equal(1, await ConnectionsAsync());
        await using (var second = await server.ConnectAsync())
        {
            await second.NextAsync("welcome");
            Assert.Equal(2, await ConnectionsAsync());
        }
        await Eventually.Until(ConnectionsAsync, n => n == 1, what: "the second agent to be gone from the count");

        using var revoked = await server.Console.DeleteAsync($"/api/admin/agent-tokens/{server.TokenId}");
        revoked.EnsureSuccessStatusCode();

        // At once: a socket the server is ending counts no more, even before its close handshake is over.
        Assert.Equal(0, await ConnectionsAsync());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await first.ClosedAsync()).Status);
    }

    [Fact]
    public async Task A_paused_monitor_leaves_the_agents_list_at_once_and_its_checks_are_refused_from_then_on()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        var shop = Ids(await agent.NextAsync("welcome"))["eu-shop"];

        using var paused = await server.Console.PostAsync("/api/admin/monitors/eu-shop/pause", null);
        paused.EnsureSuccessStatusCode();
        var list = await agent.NextAsync("monitors");
        await agent.SendAsync(new { type = "results", seq = 1, checks = new[] { Check(shop, PastSlots(shop, 1)[0]) } });
        var ack = await agent.NextAsync("ack");

        Assert.Equal(["everywhere"], list["monitors"]!.AsArray().Select(m => (string)m!["slug"]!));
        Assert.Equal("checks[0].monitor", (string?)ack["refused"]![0]!["field"]);
        Assert.Empty(await server.AgentChecksAsync(shop));
    }

    [Fact]
    public async Task An_edited_monitor_is_sent_again_with_its_new_fields_and_a_change_that_leaves_the_list_as_it_was_sends_nothing()
    {
        await using var server = await StartAsync();
        await using var agent = await server.ConnectAsync();
        await agent.NextAsync("welcome");
        var shop = Monitor("Console shop", "eu-west");

        using (var created = await server.Console.PostAsJsonAsync("/api/admin/monitors", shop))
        {
            created.EnsureSuccessStatusCode();
        }
        var added = await agent.NextAsync("monitors");
        shop["Url"] = "http://127.0.0.1:9/other";
        using (var edited = await server.Console.PutAsJsonAsync("/api/admin/monitors/console-shop", shop))
        {
            edited.EnsureSuccessStatusCode();
        }
        var changed = await agent.NextAsync("monitors");
        using (var elsewhere = await server.Console.PostAsJsonAsync("/api/admin/monitors", Monitor("Server shop", "local")))
        {
            elsewhere.EnsureSuccessStatusCode();
        }
        // A few of the socket's looks at the list (one a second); then the ack must be the next message.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await agent.SendAsync(new { type = "results", seq = 1, checks = Array.Empty<object>() });
        var next = await agent.NextAsync();

        Assert.Equal(["eu-shop", "everywhere", "console-shop"], added["monitors"]!.AsArray().Select(m => (string)m!["slug"]!));
        Assert.Equal("http://127.0.0.1:9/other",
            (string?)changed["monitors"]!.AsArray().Single(m => (string)m!["slug"]! == "console-shop")!["fields"]!["Url"]);
        Assert.Equal("ack", (string?)next?["type"]);
    }
}
