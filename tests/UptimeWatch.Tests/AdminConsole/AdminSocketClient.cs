using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using UptimeWatch.Journal;
using EventDto = UptimeWatch.Testing.EventDto;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>
/// A client of <c>/ws/admin</c> through the test server (or real Kestrel): sends commands, reads replies and pushes, sees the close.
/// Pushes that arrive while waiting for a reply are kept in <see cref="Pushes"/>, in order.
/// </summary>
internal sealed class AdminSocketClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(20);
    private readonly WebSocket _socket;
    private int _nextId;

    private AdminSocketClient(WebSocket socket) => _socket = socket;

    public List<JsonElement> Pushes { get; } = [];

    /// <summary>Every message received, in order.</summary>
    public List<JsonElement> Received { get; } = [];

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public WebSocketState State => _socket.State;

    public static async Task<AdminSocketClient> ConnectAsync(UptimeWatchApp app, string? cookie = null, string? token = null, string? origin = null)
    {
        var client = app.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            if (cookie is not null)
            {
                request.Headers.Cookie = cookie;
            }
            if (token is not null)
            {
                request.Headers.Authorization = $"Bearer {token}";
            }
            if (origin is not null)
            {
                request.Headers.Origin = origin;
            }
        };
        using var timeout = new CancellationTokenSource(DefaultWait);
        return new AdminSocketClient(await client.ConnectAsync(new Uri("ws://localhost/ws/admin"), timeout.Token));
    }

    /// <summary>The same client over a real <see cref="ClientWebSocket"/> to an app on real Kestrel at <paramref name="baseUrl"/>.</summary>
    public static async Task<AdminSocketClient> ConnectAsync(Uri baseUrl, string cookie)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", baseUrl.GetLeftPart(UriPartial.Authority));
        using var timeout = new CancellationTokenSource(DefaultWait);
        await socket.ConnectAsync(new Uri($"ws://{baseUrl.Authority}/ws/admin"), timeout.Token);
        return new AdminSocketClient(socket);
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(DefaultWait);
        await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next message, or null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait ?? DefaultWait);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            // WaitAsync as well: the test server's socket does not always give up when its token is cancelled.
            var result = await _socket.ReceiveAsync(chunk, timeout.Token).WaitAsync(timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                }
                return null;
            }
            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                var message = JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
                Received.Add(message);
                return message;
            }
        }
    }

    /// <summary>Sends a command and returns its reply (ok or error); pushes read meanwhile go to <see cref="Pushes"/>.</summary>
    public async Task<JsonElement> CommandAsync(string type, object? payload = null)
    {
        var id = $"c{Interlocked.Increment(ref _nextId)}";
        await SendTextAsync(JsonSerializer.Serialize(new { type, id, payload = payload ?? new { } }));
        return await ReplyAsync(id);
    }

    /// <summary>The reply to <paramref name="id"/>; pushes read meanwhile go to <see cref="Pushes"/>.</summary>
    public Task<JsonElement> ReplyAsync(string? id, TimeSpan? wait = null) =>
        // Bounded as a whole: check results keep arriving every second, so each single read would succeed.
        Eventually.Within(wait ?? DefaultWait, $"the reply to {id ?? "a command without id"}", async ct =>
        {
            while (true)
            {
                var message = await ReceiveAsync(cancellationToken: ct) ?? throw new InvalidOperationException(
                    $"The socket closed ({CloseStatus} {CloseDescription}) before the reply to {id}");
                if (message.GetProperty("type").GetString() is "ok" or "error")
                {
                    Assert.Equal(id, message.GetProperty("id").GetString());
                    return message;
                }
                Pushes.Add(message);
            }
        }, DescribeReceived);

    /// <summary>The next push of <paramref name="type"/>; others read meanwhile stay in <see cref="Pushes"/>.</summary>
    public Task<JsonElement> NextPushAsync(string type, TimeSpan? wait = null) => NextPushAsync(p => p.Type() == type, type, wait);

    /// <summary>The first push (kept or new) that matches; others read meanwhile stay in <see cref="Pushes"/>.</summary>
    public async Task<JsonElement> NextPushAsync(Func<JsonElement, bool> match, string what, TimeSpan? wait = null)
    {
        var index = Pushes.FindIndex(p => match(p));
        if (index >= 0)
        {
            var found = Pushes[index];
            Pushes.RemoveAt(index);
            return found;
        }
        return await Eventually.Within(wait ?? DefaultWait, what, async ct =>
        {
            while (true)
            {
                var message = await ReceiveAsync(cancellationToken: ct) ?? throw new InvalidOperationException($"The socket closed ({CloseStatus}) before {what}");
                if (match(message))
                {
                    return message;
                }
                Pushes.Add(message);
            }
        }, DescribeReceived);
    }

    /// <summary>Reads until the server closes the socket; returns its close code.</summary>
    public Task<WebSocketCloseStatus?> ClosedAsync(TimeSpan? wait = null) =>
        // One bound for the whole wait: pushes (check results every second) arriving before the close keep each read short.
        Eventually.Within(wait ?? DefaultWait, "the server to close the socket", async ct =>
        {
            while (await ReceiveAsync(cancellationToken: ct) is not null)
            {
            }
            return CloseStatus;
        }, DescribeReceived);

    /// <summary>What was received, check results left out (they come every second), for a wait that gave up.</summary>
    private string DescribeReceived() =>
        string.Join(", ", Received.Where(m => m.Type() != "check").Select(m => m.TryGetProperty("seq", out var seq) ? $"{m.Type()} {seq}" : m.Type()));

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // Already gone.
            }
        }
        _socket.Dispose();
    }
}

internal static class AdminSocketTesting
{
    /// <summary>The account set up (once) and a fresh session's cookie, as a browser would send it.</summary>
    public static async Task<string> SessionCookieAsync(this UptimeWatchApp app)
    {
        (await app.SignedInAsync()).Dispose();
        using var browser = app.Browser();
        using var login = await browser.LoginAsync();
        login.EnsureSuccessStatusCode();
        return Assert.Single(login.Headers.GetValues("Set-Cookie")).Split(';')[0];
    }

    /// <summary>A new API token's id and secret, created from a signed-in session.</summary>
    public static async Task<(int Id, string Secret)> TokenAsync(this UptimeWatchApp app, string name = "ci")
    {
        using var client = await app.SignedInAsync();
        using var created = await client.PostAsJsonAsync("/api/admin/tokens", new { name });
        created.EnsureSuccessStatusCode();
        var token = await created.Content.ReadFromJsonAsync<JsonElement>();
        return (token.GetProperty("id").GetInt32(), token.GetProperty("secret").GetString()!);
    }

    /// <summary>
    /// The full reasons (the probe's and the state machine's own words) of these status events, read where the product
    /// shows them: the admin WebSocket's replay of the event log. The public API shows only a category's short text.
    /// </summary>
    public static async Task<Dictionary<long, string>> AdminReasonsAsync(this UptimeWatchApp app, IEnumerable<EventDto> events)
    {
        var wanted = events.Select(e => e.Id).ToHashSet();
        var reasons = new Dictionary<long, string>();
        if (wanted.Count == 0)
        {
            return reasons;
        }
        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        Assert.Equal("ok", (await socket.CommandAsync("subscribe", new { after = wanted.Min() - 1 })).Type());
        while (reasons.Count < wanted.Count)
        {
            var push = await socket.NextPushAsync(
                p => p.Type() == "status" && p.GetProperty("seq").GetInt64() is var seq && wanted.Contains(seq) && !reasons.ContainsKey(seq),
                $"status events {string.Join(", ", wanted.Except(reasons.Keys))}");
            reasons[push.GetProperty("seq").GetInt64()] = push.GetProperty("payload").GetProperty("reason").GetString()!;
        }
        return reasons;
    }

    /// <summary>The full reason of one status event (see <see cref="AdminReasonsAsync"/>).</summary>
    public static async Task<string> AdminReasonAsync(this UptimeWatchApp app, EventDto e) => (await app.AdminReasonsAsync([e]))[e.Id];

    public static string Type(this JsonElement message) => message.GetProperty("type").GetString()!;

    public static string Code(this JsonElement message) => message.GetProperty("code").GetString()!;

    public static string Message(this JsonElement message) => message.GetProperty("message").GetString()!;
}
