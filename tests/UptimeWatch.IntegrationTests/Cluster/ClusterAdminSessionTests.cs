using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// The admin session across two real nodes on one PostgreSQL database, as behind a load balancer without sticky
/// sessions: a cookie issued by one node is good on the other, and signing out on one ends it on both — its HTTP
/// requests at once, its admin WebSocket on the other node within about a second.
/// </summary>
public sealed class ClusterAdminSessionTests : IAsyncLifetime
{
    private const string Password = "cluster-owner-password-1";
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task A_cookie_from_node_A_works_on_node_B_and_a_sign_out_on_A_ends_it_on_B()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [], new { Admin = new { InitialPassword = Password } });
        using var a = Client(cluster[0]);
        using var b = Client(cluster[1]);

        using var login = await a.PostAsJsonAsync("/api/admin/login", new { password = Password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("uw_session=", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, await MeAsync(a, cookie));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(b, cookie));
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", b.BaseAddress!.GetLeftPart(UriPartial.Authority));
        await socket.ConnectAsync(new Uri($"ws://{b.BaseAddress.Authority}/ws/admin"), CancellationToken.None);

        using var logout = new HttpRequestMessage(HttpMethod.Post, "/api/admin/logout");
        logout.Headers.Add("Cookie", cookie);
        logout.Headers.Add("Origin", a.BaseAddress!.GetLeftPart(UriPartial.Authority));
        using var loggedOut = await a.SendAsync(logout);
        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);

        // The same cookie, replayed (a copy kept by the browser of another tab, or a thief): ended on both nodes.
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(b, cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(a, cookie));
        var closed = await Eventually.Within(TimeSpan.FromSeconds(30), "node B to close the admin WebSocket", async ct =>
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var frame = await socket.ReceiveAsync(buffer, ct);
                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    return socket.CloseStatus;
                }
            }
        }, cluster.Output);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed);
    }

    /// <summary>A client that keeps no cookies: the test sends the one cookie itself, to whichever node.</summary>
    private static HttpClient Client(HostProcess node) => node.NewClient(new HttpClientHandler { UseCookies = false });

    private static async Task<HttpStatusCode> MeAsync(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/me");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
