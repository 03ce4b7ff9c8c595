using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// <c>GET /metrics</c> as Prometheus scrapes it, from the real binary (one process per test: the instruments of a
/// process are global, so in-process hosts of parallel tests would add to each other's numbers).
/// </summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed partial class MetricsTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task A_scrape_shows_checks_by_monitor_and_outcome_durations_and_each_monitors_current_status()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work,
        [
            new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, FailureThreshold = 1 },
            new { Name = "Blog", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, FailureThreshold = 1 },
        ]);
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        var up = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_monitor_status", ("monitor", "shop")) == 1
            && m.Find("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "up")) >= 1, "shop to be up");
        _target.Healthy = false;
        var down = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_monitor_status", ("monitor", "shop")) == 3
            && m.Find("uptimewatch_monitor_status", ("monitor", "blog")) == 3
            && m.Find("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "down")) >= 1, "shop and blog to be down");
        var shopDown = down.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "down"));
        var later = await ScrapeUntilAsync(client, m => m.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "down")) >= shopDown + 2,
            "two more down checks of shop");
        // Checks keep coming every second, so a scrape may well catch one queued for the database; the gauge shows the
        // queue, which drains.
        var drained = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_write_queue_length") == 0, "the write queue to drain");

        // Once shop is down every further check of the unhealthy target counts as down: the "up" counter keeps exactly
        // the value it had, and each check adds to one outcome only (all of shop's new checks are down ones).
        Assert.Equal(down.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "up")),
            later.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "up")));
        Assert.Equal(later.Value("uptimewatch_checks_total", ("monitor", "shop")) - down.Value("uptimewatch_checks_total", ("monitor", "shop")),
            later.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "down")) - shopDown);
        Assert.True(up.Value("uptimewatch_checks_total", ("monitor", "shop"), ("outcome", "up")) >= 1);
        // The status gauge follows the monitor (1 up, 3 down), one series per monitor.
        Assert.Single(down.Samples, s => s.Name == "uptimewatch_monitor_status" && s.Labels["monitor"] == "shop");
        // Checks and their durations carry where they were made from (UptimeWatch:Location, "local" by default).
        Assert.All(down.Samples.Where(s => s.Name is "uptimewatch_checks_total" or "uptimewatch_check_duration_seconds_count"),
            s => Assert.Equal("local", s.Labels["location"]));
        Assert.Equal(2, down.Value("uptimewatch_monitors"));
        Assert.True(down.Value("uptimewatch_check_duration_seconds_count", ("type", "http"), ("outcome", "down")) >= 1);
        Assert.True(down.Value("uptimewatch_check_duration_seconds_bucket", ("type", "http"), ("outcome", "up"), ("le", "+Inf")) >= 1);
        Assert.Equal(0, drained.Value("uptimewatch_write_queue_length"));
        Assert.Equal(0, drained.Value("uptimewatch_outbox_pending"));
        Assert.True(down.Value("uptimewatch_events_published_total", ("kind", "status")) >= 2);
        // Each check on its own is for admin sockets, and none is connected: not even built.
        Assert.Null(down.Find("uptimewatch_events_published_total", ("kind", "check")));
        // The runtime's own metrics come along (CPU, GC, memory).
        Assert.Contains(down.Samples, s => s.Name.StartsWith("dotnet_process_cpu_time", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Live_connections_are_counted_by_transport_while_they_are_open()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work,
            [new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 }],
            new { Admin = new { InitialPassword = "correct horse battery" } });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        using var sse = await client.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
        // Held: once shop's "up" is stored (the status API reads the database) nothing happens after the newest event.
        await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("/api/status"), s => s!.Monitors.Single().Status == "up",
            TimeSpan.FromSeconds(30), "shop to be stored as up");
        var cursor = (await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/status/page")).GetProperty("cursor").GetInt64();
        var poll = client.GetAsync($"/api/live/poll?after={cursor}&timeout=30");
        using var socket = await OpenAdminSocketAsync(client);
        var open = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_live_connections", ("transport", "sse")) == 1
            && m.Find("uptimewatch_live_connections", ("transport", "longpoll")) == 1
            && m.Find("uptimewatch_live_connections", ("transport", "websocket")) == 1, "one connection of each transport");

        sse.Dispose();
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        var closed = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_live_connections", ("transport", "sse")) == 0
            && m.Find("uptimewatch_live_connections", ("transport", "websocket")) == 0, "the closed ones to be gone");

        Assert.Equal(1, open.Value("uptimewatch_live_connections", ("transport", "sse")));
        Assert.Equal(1, closed.Value("uptimewatch_live_connections", ("transport", "longpoll")));
        // The poll is still held (nothing happened after the cursor) until the process is told to stop.
        Assert.False(poll.IsCompleted, "the long poll ended before shutdown");
        host.SendSigterm();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // A poll held at shutdown is answered "nothing new" (204, docs/live-api.md), so the client polls again with
        // the same cursor, here after the restart or at another node.
        using var answered = await poll.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
        Assert.Equal("", await answered.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Notifications_a_receiver_has_not_taken_yet_show_as_outbox_backlog()
    {
        var work = TestPaths.NewTempDirectory();
        using var nobody = ClosedPort.Take();
        var config = ServingProcess.WriteConfig(work,
            [new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, FailureThreshold = 1 }],
            new
            {
                Alerting = new
                {
                    Channels = new Dictionary<string, object> { ["hook"] = new { Type = "webhook", Url = nobody.Url("/hook").ToString(), Secret = "a-shared-secret-of-length" } },
                    Defaults = new { Channels = new[] { "hook" } },
                },
            });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;
        await ScrapeUntilAsync(client, m => m.Find("uptimewatch_monitor_status", ("monitor", "shop")) == 1, "shop to be up");

        _target.Healthy = false;
        var waiting = await ScrapeUntilAsync(client, m => m.Find("uptimewatch_outbox_pending") >= 1, "the down notification to wait in the outbox");

        Assert.Equal(3, waiting.Value("uptimewatch_monitor_status", ("monitor", "shop")));
    }

    [Fact]
    public async Task With_a_bearer_token_configured_only_a_scrape_that_sends_it_gets_the_metrics()
    {
        const string token = "scrape-token-0123456789";
        var work = TestPaths.NewTempDirectory();
        var (host, client) = await ServingProcess.StartAsync(work, ServingProcess.WriteConfig(work, [], new { Metrics = new { BearerToken = token } }));
        await using var _ = host;
        using var __ = client;

        using var none = await client.GetAsync("/metrics");
        using var wrong = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token + "x") },
        });
        using var right = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        });

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Bearer", none.Headers.WwwAuthenticate.ToString());
        Assert.Contains("UptimeWatch:Metrics:BearerToken", await none.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("uptimewatch_monitors", await right.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> ScrapeAsync(HttpClient client, string? forwardedFor, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Without_a_bearer_token_only_loopback_clients_get_the_metrics_as_seen_through_a_trusted_proxy()
    {
        var work = TestPaths.NewTempDirectory();
        var (host, client) = await ServingProcess.StartAsync(work, ServingProcess.WriteConfig(work, []));
        await using var _ = host;
        using var __ = client;

        // The test client plays a proxy on 127.0.0.1 (trusted by default) forwarding for the address it names.
        using var direct = await ScrapeAsync(client, forwardedFor: null);
        using var localThroughProxy = await ScrapeAsync(client, forwardedFor: "127.0.0.1");
        using var remoteThroughProxy = await ScrapeAsync(client, forwardedFor: "203.0.113.7");
        using var remoteV6ThroughProxy = await ScrapeAsync(client, forwardedFor: "2001:db8::7");
        // What a remote client wrote itself before the proxy's entry is not believed.
        using var spoofed = await ScrapeAsync(client, forwardedFor: "127.0.0.1, 203.0.113.7");

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Contains("uptimewatch_monitors", await direct.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, localThroughProxy.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, remoteThroughProxy.StatusCode);
        Assert.Contains("UptimeWatch:Metrics:BearerToken", await remoteThroughProxy.Content.ReadAsStringAsync());
        Assert.DoesNotContain("uptimewatch_", await remoteThroughProxy.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, remoteV6ThroughProxy.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, spoofed.StatusCode);
    }

    [Fact]
    public async Task With_a_bearer_token_a_remote_client_that_sends_it_gets_the_metrics()
    {
        const string token = "scrape-token-0123456789";
        var work = TestPaths.NewTempDirectory();
        var (host, client) = await ServingProcess.StartAsync(work, ServingProcess.WriteConfig(work, [], new { Metrics = new { BearerToken = token } }));
        await using var _ = host;
        using var __ = client;

        using var remoteWithToken = await ScrapeAsync(client, forwardedFor: "203.0.113.7", token);
        using var remoteWithout = await ScrapeAsync(client, forwardedFor: "203.0.113.7");
        using var localWithout = await ScrapeAsync(client, forwardedFor: null);

        Assert.Equal(HttpStatusCode.OK, remoteWithToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, remoteWithout.StatusCode);
        // The token, once set, is asked of everyone: loopback is no exception.
        Assert.Equal(HttpStatusCode.Unauthorized, localWithout.StatusCode);
    }

    [Fact]
    public async Task Metrics_turned_off_are_not_served()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], new() { ["UptimeWatch:Metrics:Enabled"] = "false" });
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_short_bearer_token_stops_start_up_with_the_field_named()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, [], new { Metrics = new { BearerToken = "short" } });

        await using var host = HostProcess.Start(work, ["--config", config]);
        var exitCode = await host.WaitForExitAsync();
        var stderr = host.Stderr;

        Assert.Equal(2, exitCode);
        Assert.Contains("Metrics:BearerToken", stderr);
        Assert.DoesNotContain("\"short\"", stderr);
    }

    private static async Task<ClientWebSocket> OpenAdminSocketAsync(HttpClient client)
    {
        using var login = await client.PostAsJsonAsync("/api/admin/login", new { password = "correct horse battery" });
        login.EnsureSuccessStatusCode();
        var cookie = login.Headers.GetValues("Set-Cookie").First().Split(';')[0];
        var socket = new ClientWebSocket();
        var origin = client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.SetRequestHeader("Cookie", cookie);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new Uri(origin.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/admin"), cts.Token);
        return socket;
    }

    private static Task<Scrape> ScrapeUntilAsync(HttpClient client, Func<Scrape, bool> done, string what) =>
        Eventually.Until(async () => Scrape.Parse(await client.GetStringAsync("/metrics")), done, TimeSpan.FromSeconds(30), what);

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>A scrape in the Prometheus text format, checked line by line as a scraper would read it.</summary>
    internal sealed partial record Scrape([property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<Sample> Samples)
    {
        /// <summary>UptimeWatch's own samples: what a failed wait prints.</summary>
        public IEnumerable<string> Own => Samples.Where(s => s.Name.StartsWith("uptimewatch_", StringComparison.Ordinal) && !s.Name.Contains("_bucket", StringComparison.Ordinal))
            .Select(s => $"{s.Name}{{{string.Join(',', s.Labels.Where(l => l.Key != "otel_scope_name").Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}");

        /// <summary>
        /// The sum of the samples of <paramref name="name"/> that carry these labels; fails the test when there are
        /// none, so a metric that disappears (or is renamed) cannot pass as a 0.
        /// </summary>
        public double Value(string name, params (string Key, string Value)[] labels) => Find(name, labels)
            ?? throw new Xunit.Sdk.XunitException($"no series {Describe(name, labels)} in the scrape; UptimeWatch's own: {string.Join("; ", Own)}");

        /// <summary>As <see cref="Value"/>, null when there is no such series: for waits on a series still to appear.</summary>
        public double? Find(string name, params (string Key, string Value)[] labels)
        {
            var matching = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
            return matching.Count == 0 ? null : matching.Sum(s => s.Value);
        }

        private static string Describe(string name, (string Key, string Value)[] labels) =>
            $"{name}{{{string.Join(',', labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}}";

        public static Scrape Parse(string text)
        {
            var typed = new HashSet<string>();
            var samples = new List<Sample>();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    typed.Add(line.Split(' ')[2]);
                    continue;
                }
                if (line.StartsWith('#'))
                {
                    continue;
                }
                var match = SampleLine().Match(line);
                Assert.True(match.Success, $"not a Prometheus sample line: {line}");
                var name = match.Groups["name"].Value;
                Assert.True(typed.Any(t => name == t || name.StartsWith(t + "_", StringComparison.Ordinal)), $"{name} has no # TYPE line before it");
                var labels = LabelPair().Matches(match.Groups["labels"].Value)
                    .ToDictionary(m => m.Groups["key"].Value, m => Regex.Unescape(m.Groups["value"].Value));
                samples.Add(new Sample(name, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }
            return new Scrape(samples);
        }

        [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?([0-9.eE+-]+|Inf|NaN))( -?[0-9]+)?$""")]
        private static partial Regex SampleLine();

        [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
        private static partial Regex LabelPair();
    }
}
