using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Hosting;

/// <summary>
/// X-Forwarded-For/Proto over real Kestrel on 127.0.0.1: believed from a trusted proxy (loopback by default), ignored
/// from anyone else. The proxy in front is played by the test client itself (it connects from 127.0.0.1).
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static async Task<(UptimeWatchApp App, Uri BaseUrl)> StartAsync(Dictionary<string, string?> settings)
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], settings);
        return (app, app.StartKestrel());
    }

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, string? forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task Per_client_limits_count_the_forwarded_client_when_the_proxy_is_trusted()
    {
        var (app, baseUrl) = await StartAsync(new() { ["UptimeWatch:Live:MaxStreamsPerIp"] = "1" });
        await using var _ = app;
        using var client = new HttpClient { BaseAddress = baseUrl };

        using var first = await OpenStreamAsync(client, "203.0.113.7");
        using var second = await OpenStreamAsync(client, "203.0.113.8");
        using var again = await OpenStreamAsync(client, "198.51.100.1, 203.0.113.7");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        // The right-most address is the one the trusted proxy saw; what the client wrote before it is not believed.
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
    }

    [Theory]
    [InlineData("192.0.2.10")]  // a proxy somewhere else: not 127.0.0.1, where this client comes from
    [InlineData("")]            // an empty list: no proxy at all
    [InlineData(null)]          // an empty JSON array ("TrustedProxies": []) leaves the key with no value
    public async Task Forwarded_headers_from_an_untrusted_address_are_ignored(string? trusted)
    {
        var (app, baseUrl) = await StartAsync(new()
        {
            ["UptimeWatch:Live:MaxStreamsPerIp"] = "1",
            ["UptimeWatch:ForwardedHeaders:TrustedProxies"] = trusted,
        });
        await using var _ = app;
        using var client = new HttpClient { BaseAddress = baseUrl };

        using var first = await OpenStreamAsync(client, "203.0.113.7");
        using var second = await OpenStreamAsync(client, "203.0.113.8");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Both are 127.0.0.1 really: a client cannot escape the limit by writing the header itself.
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
    }

    [Fact]
    public async Task The_admin_WebSocket_Origin_check_sees_the_scheme_the_proxy_was_reached_with()
    {
        var (app, baseUrl) = await StartAsync([]);
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = baseUrl };
        using var setup = await http.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password));
        setup.EnsureSuccessStatusCode();
        var cookie = Assert.Single(setup.Headers.GetValues("Set-Cookie")).Split(';')[0];

        async Task<WebSocketState> ConnectAsync(string origin, string? forwardedProto)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Cookie", cookie);
            socket.Options.SetRequestHeader("Origin", origin);
            if (forwardedProto is not null)
            {
                socket.Options.SetRequestHeader("X-Forwarded-Proto", forwardedProto);
            }
            try
            {
                await socket.ConnectAsync(new Uri($"ws://{baseUrl.Authority}/ws/admin"), CancellationToken.None);
                return socket.State;
            }
            catch (WebSocketException)
            {
                return WebSocketState.Closed;
            }
        }

        // A browser on https://<site> behind a TLS-terminating proxy sends an https Origin over a plain hop.
        Assert.Equal(WebSocketState.Open, await ConnectAsync($"https://{baseUrl.Authority}", "https"));
        Assert.Equal(WebSocketState.Closed, await ConnectAsync($"https://{baseUrl.Authority}", null));
        Assert.Equal(WebSocketState.Open, await ConnectAsync($"http://{baseUrl.Authority}", null));
    }
}
