using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>
/// What the public may see of a failure, over real Kestrel on 127.0.0.1: every public response and stream carries a
/// category and a short public text, never the probe's own words (internal addresses, redirect URLs, response
/// snippets, a push sender's message, the name of the API token that paused a monitor). The admin side keeps them;
/// <c>StatusPage:ShowErrorDetails</c> gives them back to the public.
/// </summary>
public sealed class PublicReasonTests : IAsyncLifetime
{
    private const string PushToken = "backup-push-token-0123456789";
    private const string RedirectMarker = "intranet-redirect-marker.corp";
    private const string KeywordMarker = "keyword-marker-7731";
    private const string SnippetMarker = "snippet-marker-4410";
    private const string PushMarker = "push-msg-marker-9921";
    private const string TokenMarker = "token-name-marker-5150";

    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task Public_responses_and_streams_carry_no_internal_detail_while_the_admin_side_does()
    {
        var seen = await RunAsync(showErrorDetails: false);

        foreach (var marker in seen.Markers)
        {
            Assert.DoesNotContain(marker, seen.Public, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(seen.AdminReasons, r => r.Contains(marker, StringComparison.Ordinal));
        }
        // What the public sees instead: the category and its short text.
        Assert.Equal(("connection_refused", "connection refused"), seen.LastPublicEvent("database"));
        Assert.Equal(("connection_refused", "connection refused"), seen.LastPublicEvent("database-port"));
        Assert.Equal(("bad_redirect", "redirect refused"), seen.LastPublicEvent("redirector"));
        Assert.Equal(("keyword_missing", "keyword missing"), seen.LastPublicEvent("shop"));
        Assert.Equal(("assertion_failed", "assertion failed"), seen.LastPublicEvent("api"));
        Assert.Equal(("reported_down", "reported down"), seen.LastPublicEvent("backup"));
        Assert.Equal(("paused", "paused"), seen.LastPublicEvent("website"));
        Assert.Equal(("keyword_missing", "keyword missing"), seen.LastPublicCheck("shop"));
    }

    [Fact]
    public async Task ShowErrorDetails_gives_the_public_the_full_text()
    {
        var seen = await RunAsync(showErrorDetails: true);

        foreach (var marker in seen.Markers)
        {
            Assert.Contains(marker, seen.Public, StringComparison.Ordinal);
        }
        Assert.Equal("keyword_missing", seen.LastPublicEvent("shop").Category);
        Assert.StartsWith("1 consecutive failure: keyword \"keyword-marker-7731\" not found", seen.LastPublicEvent("shop").Reason);
    }

    [Fact]
    public async Task Rows_stored_before_public_reasons_existed_show_only_their_outcome()
    {
        await using var app = HistoryApp.Start(settings: new() { ["UptimeWatch:StatusPage:ShowErrorDetails"] = "false" });
        var db = await app.AddMonitorAsync("Database", slug: "database");
        const string old = "2 consecutive failures: connection refused by 10.20.30.40:5432 (nothing is listening)";
        await app.AddEventAsync(db.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now.AddMinutes(-1), old);
        await using (var context = app.Db())
        {
            context.CheckResults.Add(new CheckResult
            {
                MonitorId = db.Id, At = app.Now.AddMinutes(-1), Outcome = CheckOutcome.Down, ResponseMs = 3,
                Error = "connection refused by 10.20.30.40:5432 (nothing is listening)",
            });
            await context.SaveChangesAsync();
        }
        using var client = app.CreateClient();

        var bodies = new[]
        {
            await client.GetStringAsync("/api/events"), await client.GetStringAsync("/api/incidents"),
            await client.GetStringAsync("/api/monitors/database/checks"), await client.GetStringAsync("/api/live/poll?after=0&timeout=0"),
        };
        var e = JsonDocument.Parse(bodies[0]).RootElement.GetProperty("events")[0];
        var check = JsonDocument.Parse(bodies[2]).RootElement.GetProperty("checks")[0];

        Assert.All(bodies, body => Assert.DoesNotContain("10.20.30.40", body, StringComparison.Ordinal));
        Assert.Equal(("down", "down"), (e.GetProperty("category").GetString(), e.GetProperty("reason").GetString()));
        Assert.Equal(("down", "down"), (check.GetProperty("category").GetString(), check.GetProperty("error").GetString()));
    }

    private sealed record Seen(string Public, IReadOnlyList<JsonElement> PublicEvents, IReadOnlyList<JsonElement> PublicChecks,
        IReadOnlyList<string> AdminReasons, IReadOnlyList<string> Markers)
    {
        public (string? Category, string? Reason) LastPublicEvent(string slug) => PublicEvents
            .Where(e => e.GetProperty("monitor").GetString() == slug).Select(e => (Text(e, "category"), Text(e, "reason"))).Last();

        public (string? Category, string? Error) LastPublicCheck(string slug) => PublicChecks
            .Where(c => c.GetProperty("monitor").GetString() == slug).Select(c => (Text(c, "category"), Text(c, "error"))).First();

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
    }

    private async Task<Seen> RunAsync(bool showErrorDetails)
    {
        using var closed = ClosedPort.Take();
        using var closedTcp = ClosedPort.Take();
        var closedPort = closed.Port;
        var closedTcpPort = closedTcp.Port;
        var markers = new[] { $"127.0.0.1:{closedPort}", $"127.0.0.1:{closedTcpPort}", RedirectMarker, KeywordMarker, SnippetMarker, PushMarker, TokenMarker };
        var json = Uri.EscapeDataString($$"""{"state":"{{SnippetMarker}}"}""");
        // A 5 s timeout: on a loaded machine a 1 s one can time out before the target's answer shows the failure meant.
        static Dictionary<string, string?> Http(string name, Uri url, string? keyword = null) =>
            new(UptimeWatchApp.Monitor(name, url, failureThreshold: 1, keyword: keyword)) { ["IntervalSeconds"] = "5", ["TimeoutSeconds"] = "5" };
        Dictionary<string, string?>[] monitors =
        [
            Http("Database", new Uri($"http://127.0.0.1:{closedPort}/")),
            new(Http("Database port", new Uri($"tcp://127.0.0.1:{closedTcpPort}"))) { ["Type"] = "tcp" },
            Http("Redirector", _target.Url($"/redirect?to=ftp://{RedirectMarker}/x")),
            Http("Shop", _target.Url("/ok"), keyword: KeywordMarker),
            new(Http("API", _target.Url($"/json?body={json}"))) { ["Json"] = "$.state == \"ok\"" },
            Http("Website", _target.Url("/ok")),
            new()
            {
                ["Name"] = "Backup", ["Type"] = "push", ["IntervalSeconds"] = "3600", ["GraceSeconds"] = "60", ["PushToken"] = PushToken,
                ["FailureThreshold"] = "1", ["Public"] = "true",
            },
        ];
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), monitors,
            new() { ["UptimeWatch:StatusPage:ShowErrorDetails"] = showErrorDetails ? "true" : "false" });
        await using var _ = app;
        var baseUrl = app.StartKestrel();
        using var http = new HttpClient { BaseAddress = baseUrl };

        // Live from the start: a stream and a held poll see events as they are published, not replayed from the log.
        using var live = await OpenStreamAsync(http, lastEventId: null);
        var heldPoll = http.GetStringAsync("/api/live/poll?timeout=60");

        // The factory's client keeps the session cookie; pointed at Kestrel rather than the default http://localhost.
        using var admin = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = baseUrl });
        (await admin.SetUpAsync(app)).EnsureSuccessStatusCode();
        using var created = await admin.PostAsJsonAsync("/api/admin/tokens", new { name = TokenMarker });
        created.EnsureSuccessStatusCode();
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        using var bearer = new HttpClient { BaseAddress = baseUrl };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        (await bearer.PostAsync("/api/admin/monitors/website/pause", null)).EnsureSuccessStatusCode();
        (await http.GetAsync($"/api/push/{PushToken}?status=down&msg={PushMarker}")).EnsureSuccessStatusCode();

        string[] slugs = ["database", "database-port", "redirector", "shop", "api", "website", "backup"];
        var expected = new Dictionary<string, string>
        {
            ["database"] = "down", ["database-port"] = "down", ["redirector"] = "down", ["shop"] = "down", ["api"] = "down",
            ["website"] = "paused", ["backup"] = "down",
        };
        await Eventually.Until(() => http.GetFromJsonAsync<JsonElement>("/api/status"),
            s => s.GetProperty("monitors").EnumerateArray().All(m => expected[m.GetProperty("slug").GetString()!] == m.GetProperty("status").GetString()),
            TimeSpan.FromSeconds(30), "every monitor down or paused");
        var events = (await http.GetFromJsonAsync<JsonElement>("/api/events?limit=1000")).GetProperty("events").EnumerateArray().ToList();
        var newest = events.Max(e => e.GetProperty("id").GetInt64());

        var bodies = new List<string>
        {
            await http.GetStringAsync("/api/status"),
            await http.GetStringAsync("/api/status/page"),
            await http.GetStringAsync("/api/events?after=0&limit=1000"),
            await http.GetStringAsync("/api/incidents?pageSize=100"),
            await http.GetStringAsync("/api/live/poll?after=0&timeout=0"),
            await http.GetStringAsync("/"),
            await heldPoll,
        };
        var checks = new List<JsonElement>();
        foreach (var slug in slugs)
        {
            var body = await http.GetStringAsync($"/api/monitors/{slug}/checks?limit=1000");
            bodies.Add(body);
            checks.AddRange(JsonDocument.Parse(body).RootElement.GetProperty("checks").EnumerateArray()
                .Select(c => AddMonitor(c, slug)));
            bodies.Add(await http.GetStringAsync($"/badge/{slug}/status.svg"));
            bodies.Add(await http.GetStringAsync($"/badge/{slug}/uptime.svg"));
        }
        using (var replay = await OpenStreamAsync(http, lastEventId: 0))
        {
            bodies.Add(await ReadUntilAsync(replay, newest));
        }
        bodies.Add(await ReadUntilAsync(live, newest));

        return new Seen(string.Join("\n", bodies), events, checks, await AdminReasonsAsync(baseUrl, secret, newest), markers);
    }

    private static JsonElement AddMonitor(JsonElement check, string slug)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(check.GetRawText())!.AsObject();
        node["monitor"] = slug;
        return JsonSerializer.SerializeToElement(node);
    }

    private static async Task<Stream> OpenStreamAsync(HttpClient http, long? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString());
        }
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStreamAsync();
    }

    /// <summary>The stream's text up to and including the event with id <paramref name="lastId"/>.</summary>
    private static Task<string> ReadUntilAsync(Stream stream, long lastId)
    {
        var text = new StringBuilder();
        return Eventually.Within(TimeSpan.FromSeconds(30), $"SSE event {lastId}", async timeout =>
        {
            var reader = new StreamReader(stream, Encoding.UTF8);
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout) ?? throw new EndOfStreamException($"the stream ended before event {lastId}:\n{text}");
                text.AppendLine(line);
                if (line.StartsWith("id:", StringComparison.Ordinal) && long.Parse(line[3..].Trim()) >= lastId)
                {
                    // The rest of this frame (event, data) follows before the blank line.
                    while (await reader.ReadLineAsync(timeout) is { Length: > 0 } rest)
                    {
                        text.AppendLine(rest);
                    }
                    return text.ToString();
                }
            }
        }, () => text.ToString());
    }

    /// <summary>The reasons of every status event the admin WebSocket replays, up to <paramref name="lastId"/>.</summary>
    private static async Task<List<string>> AdminReasonsAsync(Uri baseUrl, string token, long lastId)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        var reasons = new List<string>();
        return await Eventually.Within(TimeSpan.FromSeconds(30), $"the admin WebSocket's replay up to seq {lastId}",
            timeout => ReplayAsync(socket, baseUrl, lastId, reasons, timeout), () => $"{reasons.Count} status reasons");
    }

    private static async Task<List<string>> ReplayAsync(ClientWebSocket socket, Uri baseUrl, long lastId, List<string> reasons, CancellationToken timeout)
    {
        await socket.ConnectAsync(new Uri($"ws://{baseUrl.Authority}/ws/admin"), timeout);
        await socket.SendAsync("""{"type":"subscribe","id":"1","payload":{"after":0}}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, timeout);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);
            var push = JsonDocument.Parse(message.ToArray()).RootElement;
            if (push.GetProperty("type").GetString() == "status")
            {
                reasons.Add(push.GetProperty("payload").GetProperty("reason").GetString()!);
                if (push.GetProperty("seq").GetInt64() >= lastId)
                {
                    return reasons;
                }
            }
        }
    }
}
