using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// The shipped deploy/nginx.conf and deploy/Caddyfile, run by the real nginx and Caddy in front of the real
/// UptimeWatch binary: where live status pages break in practice (buffered event streams, idle timeouts, lost
/// upgrades, the wrong Host or client address).
/// </summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ReverseProxyTests
{
    private static readonly IPAddress SecondClient = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress ThirdClient = IPAddress.Parse("127.0.0.3");

    private static Task<ProxyProcess> StartProxyAsync(string proxy, int upstreamPort, Func<int>? choosePort = null) => proxy switch
    {
        "nginx" => NginxProxy.StartAsync(upstreamPort, choosePort: choosePort),
        "caddy" => CaddyProxy.StartAsync(upstreamPort, choosePort),
        _ => throw new ArgumentOutOfRangeException(nameof(proxy), proxy, "nginx or caddy"),
    };

    /// <summary>A client of the proxy; HTTP/2 where the proxy offers it (nginx over TLS), as browsers use it.</summary>
    private static HttpClient ProxyClient(ProxyProcess proxy, IPAddress? from = null) => new(ProxyProcess.Handler(from))
    {
        BaseAddress = proxy.BaseUrl,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        Timeout = TimeSpan.FromSeconds(60),
    };

    [Theory]
    [InlineData("nginx")]
    [InlineData("caddy")]
    public async Task A_status_change_comes_through_the_proxy_while_the_app_sends_nothing_after_it(string proxyName)
    {
        // A push monitor changes only when the test says so, and nothing else writes to the stream for far longer than
        // the wait: keepalives every 300 s, check frames every 60 s (at most one small frame in the wait). A proxy that
        // buffered the stream would hold the event until kilobytes followed it or the stream ended, so it would not come.
        const string token = "reverse-proxy-test-push-token";
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work,
            [new { Name = "job", Type = "push", IntervalSeconds = 86400, FailureThreshold = 1, PushToken = token }],
            new { Live = new { HeartbeatSeconds = 300, CheckFrameMs = 60_000 } });
        var (host, direct) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = direct;
        await using var proxy = await StartProxyAsync(proxyName, direct.BaseAddress!.Port);
        using var viaProxy = ProxyClient(proxy);

        using var directStream = await OpenEventStreamAsync(direct);
        using var proxiedStream = await OpenEventStreamAsync(viaProxy);
        Assert.Equal("text/event-stream", proxiedStream.Content.Headers.ContentType?.MediaType);
        // Only a hang guard: a buffering proxy fails here by never delivering the event, however long the wait.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var directDown = FirstStatusEventAsync(directStream, "down", bound.Token);
        var proxiedDown = FirstStatusEventAsync(proxiedStream, "down", bound.Token);
        using (var push = await direct.GetAsync($"/api/push/{token}?status=down"))
        {
            push.EnsureSuccessStatusCode();
        }
        var directId = await directDown;
        string proxiedId;
        try
        {
            proxiedId = await proxiedDown;
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            throw new TimeoutException($"event {directId} came directly but not through {proxyName}, with nothing sent after it: the proxy buffers the stream");
        }

        Assert.Equal(directId, proxiedId);
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("caddy")]
    public async Task A_port_another_process_took_before_the_proxy_bound_it_is_not_taken_for_the_proxy_which_starts_on_another(string proxyName)
    {
        var work = TestPaths.NewTempDirectory();
        var (host, direct) = await ServingProcess.StartAsync(work, ServingProcess.WriteConfig(work, []));
        await using var _ = host;
        using var __ = direct;
        // Another process listening on the port chosen first: it accepts connections (the kernel does, into its
        // backlog), so "something accepts on the port" would count the proxy ready, but it never answers.
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var ports = new Queue<int>([taken]);

        await using var proxy = await StartProxyAsync(proxyName, direct.BaseAddress!.Port, () => ports.TryDequeue(out var port) ? port : PortClash.Candidate());

        Assert.NotEqual(taken, proxy.BaseUrl.Port);
        using var viaProxy = ProxyClient(proxy);
        using var status = await viaProxy.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("caddy")]
    public async Task A_proxy_whose_ports_are_taken_every_time_fails_after_a_few_attempts_saying_why(string proxyName)
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var chosen = 0;

        // The first port of each start is the taken one (nginx asks for a second: it must differ, or nginx refuses the file).
        var perStart = proxyName == "nginx" ? 2 : 1;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartProxyAsync(proxyName, upstreamPort: 9, () => chosen++ % perStart == 0 ? taken : PortClash.Candidate()));

        Assert.StartsWith($"{proxyName} could not start: {PortClash.Attempts} times in a row the free port chosen for it was taken", error.Message);
        Assert.Contains($":{taken}", error.Message);
        Assert.Contains("in use", error.Message);
        Assert.Equal(PortClash.Attempts * perStart, chosen);
    }

    [Fact]
    public async Task Keepalives_hold_an_idle_event_stream_open_through_nginx_well_past_its_read_timeout()
    {
        var work = TestPaths.NewTempDirectory();
        // No monitors: nothing but the heartbeat is ever written to the stream.
        var config = ServingProcess.WriteConfig(work, [], new { Live = new { HeartbeatSeconds = 1 } });
        var (host, direct) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = direct;
        // nginx gives up on an upstream that sends nothing for 3 s (the shipped file says 1h).
        await using var proxy = await NginxProxy.StartAsync(direct.BaseAddress!.Port, liveReadTimeout: "3s");
        using var viaProxy = ProxyClient(proxy);

        // First, that the 3 s timeout is in force on /api/live/: a long poll held 6 s by the app is cut at 3 s.
        var polling = Stopwatch.StartNew();
        using var poll = await viaProxy.GetAsync("/api/live/poll?timeout=6");
        polling.Stop();
        // 504 is nginx's own answer (the app would have answered 200 at 6 s); not before the timeout.
        Assert.Equal(HttpStatusCode.GatewayTimeout, poll.StatusCode);
        Assert.True(polling.Elapsed.TotalSeconds >= 2.5, $"nginx answered the long poll after {polling.Elapsed.TotalSeconds:0.0} s, before its 3 s read timeout");

        using var stream = await OpenEventStreamAsync(viaProxy);
        using var sse = await SseReader.OpenAsync(stream);
        var open = Stopwatch.StartNew();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(9));
        try
        {
            await sse.ReadToEndAsync(bound.Token);
            Assert.Fail($"nginx ended the idle stream after {open.Elapsed.TotalSeconds:0.0} s ({sse.Comments} keepalive(s) came through)");
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // Still open after 9 s, three times the read timeout: what this test wants.
        }
        Assert.Equal("keepalive", sse.LastComment);
        // One a second is sent; three or more in 9 s is what kept nginx's 3 s read timeout from firing (a count, not a rate:
        // a loaded machine may send fewer than nine).
        Assert.True(sse.Comments >= 3, $"{sse.Comments} keepalive comment(s) came through in 9 s; the app sends one a second");
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("caddy")]
    public async Task The_admin_WebSocket_upgrades_through_the_proxy_exchanges_messages_and_refuses_another_sites_origin(string proxyName)
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, [new { Name = "web", Url = "http://127.0.0.1:9/", IntervalSeconds = 3600 }]);
        var (host, direct) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = direct;
        await using var proxy = await StartProxyAsync(proxyName, direct.BaseAddress!.Port);
        using var viaProxy = ProxyClient(proxy);
        using var setup = await viaProxy.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(Path.Combine(work, "data"), AdminTesting.Password));
        setup.EnsureSuccessStatusCode();
        var cookie = Assert.Single(setup.Headers.GetValues("Set-Cookie")).Split(';')[0];
        // What a browser on the proxied site sends: the site's own origin, e.g. https://127.0.0.1:41234.
        var siteOrigin = proxy.BaseUrl.GetLeftPart(UriPartial.Authority);
        var socketUrl = new Uri(proxy.BaseUrl, "/ws/admin").ToString().Replace("http", "ws", StringComparison.Ordinal);

        using var socket = await ConnectAsync(new Uri(socketUrl), cookie, siteOrigin);
        Assert.True(socket.State == WebSocketState.Open,
            $"the upgrade with Origin {siteOrigin} through {proxyName} was refused with {(int)socket.HttpStatusCode} (the Host or scheme did not reach the app?)");
        await SendAsync(socket, """{ "type": "monitors.list", "id": "l1", "payload": {} }""");
        using var reply = await ReceiveAsync(socket);
        using var refused = await ConnectAsync(new Uri(socketUrl), cookie, "https://elsewhere.example");

        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal("ok", reply.RootElement.GetProperty("type").GetString());
        Assert.Equal("l1", reply.RootElement.GetProperty("id").GetString());
        Assert.Equal("web", reply.RootElement.GetProperty("payload").GetProperty("monitors")[0].GetProperty("slug").GetString());
        // The app's own refusal, through the proxy: the page of another site cannot use the admin's cookie.
        Assert.Equal(HttpStatusCode.Forbidden, refused.HttpStatusCode);
        Assert.NotEqual(WebSocketState.Open, refused.State);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task Through_nginx_the_app_counts_each_real_client_and_not_the_address_a_client_writes_in_X_Forwarded_For()
    {
        var work = TestPaths.NewTempDirectory();
        // Only nginx (on 127.0.0.1) is trusted here, so 127.0.0.2 and 127.0.0.3 can stand for two clients on the internet.
        var config = ServingProcess.WriteConfig(work, [], new
        {
            Live = new { MaxStreamsPerIp = 1 },
            ForwardedHeaders = new { TrustedProxies = new[] { "127.0.0.1" } },
        });
        var (host, direct) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = direct;
        await using var proxy = await NginxProxy.StartAsync(direct.BaseAddress!.Port);
        using var second = ProxyClient(proxy, SecondClient);
        using var third = ProxyClient(proxy, ThirdClient);

        using var first = await OpenEventStreamAsync(second, expectSuccess: false);
        using var other = await OpenEventStreamAsync(third, expectSuccess: false);
        using var spoofed = await OpenEventStreamAsync(second, expectSuccess: false, forwardedFor: "198.51.100.7");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Without X-Forwarded-For from nginx, both would be nginx's 127.0.0.1, and the second stream refused.
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        // nginx appends the address it saw; the app stops at it (not trusted) and ignores what the client wrote before it.
        Assert.Equal(HttpStatusCode.TooManyRequests, spoofed.StatusCode);
    }

    [Fact]
    public async Task Nginx_redirects_plain_HTTP_to_HTTPS_and_serves_metrics_to_this_machine_only()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var (host, direct) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = direct;
        await using var proxy = await NginxProxy.StartAsync(direct.BaseAddress!.Port);
        using var local = ProxyClient(proxy);
        using var elsewhere = ProxyClient(proxy, SecondClient);
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var redirectRequest = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{NginxProxy.RedirectPort(proxy)}/admin?tab=alerts");
        redirectRequest.Headers.Host = "status.example.com";

        using var redirect = await plain.SendAsync(redirectRequest);
        using var fromHere = await local.GetAsync("/metrics");
        using var fromElsewhere = await elsewhere.GetAsync("/metrics");
        using var statusFromElsewhere = await elsewhere.GetAsync("/api/status");

        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal(new Uri("https://status.example.com/admin?tab=alerts"), redirect.Headers.Location);
        // From 127.0.0.1 the scrape goes through to the app; from any other address nginx refuses it.
        Assert.Equal(HttpStatusCode.OK, fromHere.StatusCode);
        Assert.Contains("uptimewatch_monitors", await fromHere.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, fromElsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.OK, statusFromElsewhere.StatusCode);
    }

    [Fact]
    public async Task The_shipped_Caddyfile_is_valid_for_caddy()
    {
        var caddy = ProxyProcess.RequireTool(CaddyProxy.Executable, "caddy");
        var dir = TestPaths.NewTempDirectory("caddy");
        var info = new ProcessStartInfo(caddy, ["validate", "--adapter", "caddyfile", "--config", CaddyProxy.ShippedConfig])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var (key, value) in CaddyProxy.Environment(dir))
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        Directory.Delete(dir, recursive: true);

        Assert.True(process.ExitCode == 0, await stdout + await stderr);
        Assert.Contains("Valid configuration", await stdout + await stderr);
    }

    private static async Task WaitForStatusAsync(HttpClient client, string status) =>
        await Eventually.Until(async () => (await client.GetFromJsonAsync<JsonElement>("/api/status")).GetProperty("monitors")[0].GetProperty("status").GetString(),
            s => s == status, TimeSpan.FromSeconds(30), $"the monitor to be {status}");

    private static async Task<HttpResponseMessage> OpenEventStreamAsync(HttpClient client, bool expectSuccess = true, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        // The app flushes the headers at once; a proxy that buffers the stream would hold them back.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            throw new TimeoutException($"{client.BaseAddress}api/live/events sent no headers within 10 s: is the event stream buffered?");
        }
        if (expectSuccess)
        {
            response.EnsureSuccessStatusCode();
        }
        return response;
    }

    /// <summary>Reads the stream until a status event to <paramref name="to"/>; returns its id.</summary>
    private static async Task<string> FirstStatusEventAsync(HttpResponseMessage response, string to, CancellationToken cancellationToken)
    {
        using var sse = await SseReader.OpenAsync(response, cancellationToken);
        var frame = await sse.NextMatchingAsync(f => f.Event == "status" && f.Id is not null && f.Json().GetProperty("to").GetString() == to,
            $"a status event to {to}", cancellationToken);
        return frame.Id!;
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri url, string cookie, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.CollectHttpResponseDetails = true;
        using var invoker = new HttpMessageInvoker(ProxyProcess.Handler());
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await socket.ConnectAsync(url, invoker, bound.Token);
        }
        catch (WebSocketException)
        {
            // Refused: the status code the proxy passed on is in socket.HttpStatusCode.
        }
        return socket;
    }

    private static async Task SendAsync(ClientWebSocket socket, string json)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, bound.Token);
    }

    private static async Task<JsonDocument> ReceiveAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, bound.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(message.ToArray());
    }
}
