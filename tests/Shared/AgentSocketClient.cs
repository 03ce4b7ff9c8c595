using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UptimeWatch.Testing;

/// <summary>
/// A hand-driven agent: a real <see cref="ClientWebSocket"/> to an app on real Kestrel, speaking docs/agent-protocol.md
/// message by message, so a test can send what a real agent never would.
/// </summary>
internal sealed class AgentSocketClient : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ClientWebSocket _socket;

    private AgentSocketClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <summary>Every message received, in order.</summary>
    public List<JsonObject> Received { get; } = [];

    public static ClientWebSocket NewSocket(string? token, string? location, string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }
        if (location is not null)
        {
            socket.Options.SetRequestHeader("X-UptimeWatch-Location", location);
        }
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        return socket;
    }

    public static Uri SocketUrl(UptimeWatchApp app) => SocketUrl(app.BaseUrl);

    /// <summary>The agent socket below a server's base address (<c>http://127.0.0.1:port/</c>).</summary>
    public static Uri SocketUrl(Uri server) => new(server.ToString().TrimEnd('/').Replace("http://", "ws://") + "/ws/agent");

    public static Task<AgentSocketClient> ConnectAsync(UptimeWatchApp app, string token, string? location) => ConnectAsync(app.BaseUrl, token, location);

    public static async Task<AgentSocketClient> ConnectAsync(Uri server, string token, string? location)
    {
        var socket = NewSocket(token, location);
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(SocketUrl(server), timeout.Token);
        return new AgentSocketClient(socket);
    }

    /// <summary>The status the server answered an upgrade with, when it refused it.</summary>
    public static async Task<HttpStatusCode> RefusedAsync(UptimeWatchApp app, string? token, string? location, string? origin = null)
    {
        using var socket = NewSocket(token, location, origin);
        using var timeout = new CancellationTokenSource(Wait);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketUrl(app), timeout.Token));
        return socket.HttpStatusCode;
    }

    public Task SendAsync(object message) => SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(message, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    public async Task SendRawAsync(byte[] message)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>The next message; null once the server closed the socket (then see <see cref="CloseStatus"/>).</summary>
    public async Task<JsonObject?> NextAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? Wait);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            var received = await _socket.ReceiveAsync(chunk, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                }
                return null;
            }
            buffer.Write(chunk, 0, received.Count);
            if (received.EndOfMessage)
            {
                var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray()))!.AsObject();
                Received.Add(message);
                return message;
            }
        }
    }

    /// <summary>The next message of <paramref name="type"/>, skipping others; fails if the socket closes first.</summary>
    public async Task<JsonObject> NextAsync(string type, TimeSpan? wait = null)
    {
        while (true)
        {
            var message = await NextAsync(wait) ?? throw new InvalidOperationException(
                $"The server closed the socket ({CloseStatus} \"{CloseDescription}\") while waiting for \"{type}\"");
            if ((string?)message["type"] == type)
            {
                return message;
            }
        }
    }

    /// <summary>Reads until the server closes the socket; returns its close code and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(TimeSpan? wait = null)
    {
        while (await NextAsync(wait) is not null)
        {
        }
        return (CloseStatus, CloseDescription);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
    }
}
