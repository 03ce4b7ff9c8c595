using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Live;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>The admin WebSocket over real Kestrel on 127.0.0.1: what the test server cannot show (pings, real upgrades).</summary>
public sealed class AdminSocketKestrelTests
{
    private static async Task<(UptimeWatchApp App, Uri BaseUrl)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var app = AdminTesting.NewApp(settings);
        return (app, app.StartKestrel());
    }

    private static async Task<string> LoginCookieAsync(UptimeWatchApp app, Uri baseUrl)
    {
        using var http = new HttpClient { BaseAddress = baseUrl };
        using var setup = await http.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password));
        setup.EnsureSuccessStatusCode();
        return Assert.Single(setup.Headers.GetValues("Set-Cookie")).Split(';')[0];
    }

    [Fact]
    public async Task A_browser_like_client_with_the_cookie_and_the_sites_own_Origin_gets_replies()
    {
        var (app, baseUrl) = await StartAsync();
        await using var _ = app;
        var cookie = await LoginCookieAsync(app, baseUrl);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", baseUrl.GetLeftPart(UriPartial.Authority));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await socket.ConnectAsync(new Uri($"ws://{baseUrl.Authority}/ws/admin"), timeout.Token);
        await socket.SendAsync("""{"type":"hello","id":"1"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[4096];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        var reply = JsonDocument.Parse(buffer.AsMemory(0, received.Count)).RootElement;
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);

        Assert.Equal(("error", "1", "unknown_command"), (reply.Type(), reply.GetProperty("id").GetString(), reply.Code()));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task A_peer_that_stops_answering_pings_is_dropped()
    {
        // Pings every second, and a second more to answer: dropped in about 2 s rather than the default's 30.
        var (app, baseUrl) = await StartAsync(new() { ["UptimeWatch:Admin:KeepAliveSeconds"] = "1" });
        await using var _ = app;
        var cookie = await LoginCookieAsync(app, baseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, baseUrl.Port);
        var stream = tcp.GetStream();
        var handshake = $"GET /ws/admin HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                        $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));

        // A frozen peer: reads what arrives (the server's pings) but never answers. Kestrel's own idle limits do not
        // apply to an upgraded connection, so only the ping timeout can end this.
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        await Eventually.Within(TimeSpan.FromSeconds(90), "the server to drop a peer that answers no ping", async limit =>
        {
            while (true)
            {
                int n;
                try
                {
                    n = await stream.ReadAsync(buffer, limit);
                }
                catch (IOException)
                {
                    return true;
                }
                if (n == 0)
                {
                    return true;
                }
                seen.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }, () => $"{seen.Length} bytes read");

        var text = seen.ToString();
        Assert.StartsWith("HTTP/1.1 101", text);
        // Dropped after an unanswered ping, and without a close frame (there is no one to read it).
        Assert.Equal([0x9], Opcodes(Encoding.Latin1.GetBytes(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..])).Distinct());
    }

    [Fact]
    public async Task A_command_that_fails_in_storage_is_answered_with_the_internal_code_and_the_socket_goes_on()
    {
        var (app, baseUrl) = await StartAsync();
        await using var _ = app;
        await using var socket = await AdminSocketClient.ConnectAsync(baseUrl, await LoginCookieAsync(app, baseUrl));
        // The event log's table is gone from the real database file (a damaged data directory): replaying it fails
        // with an error no client could have caused or fixed.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE status_events RENAME TO status_events_gone");
        }

        var failed = await socket.CommandAsync("subscribe", new { after = 0 });

        Assert.Equal(("error", "internal", "The command failed unexpectedly; the details are in the server log"),
            (failed.Type(), failed.Code(), failed.Message()));
        // One command failed, not the socket: the next one is answered.
        Assert.Equal("ok", (await socket.CommandAsync("unsubscribe")).Type());
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task A_push_that_fails_unexpectedly_closes_the_socket_with_1011()
    {
        var (app, baseUrl) = await StartAsync();
        await using var _ = app;
        await using var socket = await AdminSocketClient.ConnectAsync(baseUrl, await LoginCookieAsync(app, baseUrl));
        Assert.Equal("ok", (await socket.CommandAsync("subscribe")).Type());

        // An event with no JSON at all reaches the push loop: a server bug, which no reply can tell the client about.
        app.Services.GetRequiredService<EventHub>().Publish([new LiveEvent(null, "status", false, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty)]);

        Assert.Equal(WebSocketCloseStatus.InternalServerError, await socket.ClosedAsync());
        Assert.Equal("Unexpected server error", socket.CloseDescription);
    }

    /// <summary>The opcodes of the (unmasked, short) server frames in <paramref name="bytes"/>.</summary>
    private static List<int> Opcodes(byte[] bytes)
    {
        var opcodes = new List<int>();
        for (var i = 0; i + 1 < bytes.Length; i += 2 + (bytes[i + 1] & 0x7F))
        {
            opcodes.Add(bytes[i] & 0x0F);
        }
        return opcodes;
    }
}
