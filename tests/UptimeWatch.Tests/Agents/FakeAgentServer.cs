using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using UptimeWatch.Agents;
using UptimeWatch.Scheduling;

namespace UptimeWatch.Tests.Agents;

/// <summary>
/// A test double of the server's <c>/ws/agent</c>, speaking docs/agent-protocol.md on real Kestrel at 127.0.0.1 on a port
/// Kestrel picks: the token and the location checked as the server does (401, 403 for an Origin, 1008 for another
/// location), <c>welcome</c>, and an <c>ack</c> per <c>results</c> that stores each (monitor, slot) once, counts repeats as
/// duplicates and refuses a slot off the monitor's grid or a monitor not assigned. A test can hold acks back, take the
/// socket "down" (connections dropped, upgrades answered 503), or revoke the token (1008). It also serves
/// <c>/health</c>, a target for the agent's monitors.
/// </summary>
internal sealed class FakeAgentServer : IAsyncDisposable
{
    public const string Token = "uw_agent_abcdefghijklmnopqrstuvwxyz012345";
    public const string Location = "eu-west";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<WebSocket, SemaphoreSlim> _sockets = new();
    private readonly ConcurrentDictionary<(int Monitor, DateTimeOffset Slot), AgentCheck> _stored = new();
    private readonly ConcurrentQueue<AgentCheck> _received = new();
    private readonly ConcurrentQueue<AgentCheck> _unacked = new();
    private readonly ConcurrentQueue<string> _refusals = new();
    private readonly ConcurrentQueue<(int Bytes, int Checks)> _messages = new();
    private int _duplicates;
    private int _welcomes;
    private volatile IReadOnlyList<AgentMonitor> _monitors = [];
    private volatile bool _down;
    private volatile bool _holdAcks;
    private volatile string? _revoked;

    private FakeAgentServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public AgentLimits Limits { get; set; } = new(AgentProtocol.MaxMessageBytes, AgentProtocol.MaxChecksPerMessage);

    public IReadOnlyList<AgentMonitor> Monitors => _monitors;

    /// <summary>Every check stored, once per (monitor, slot).</summary>
    public IReadOnlyCollection<AgentCheck> Stored => [.. _stored.Values];

    /// <summary>Every check received, in order, repeats included.</summary>
    public IReadOnlyList<AgentCheck> Received => [.. _received];

    /// <summary>Checks received while acks were held back: never acknowledged, so still in the agent's buffer.</summary>
    public IReadOnlyList<AgentCheck> Unacked => [.. _unacked];

    public IReadOnlyList<string> Refusals => [.. _refusals];

    /// <summary>The size and number of checks of every <c>results</c> message received.</summary>
    public IReadOnlyList<(int Bytes, int Checks)> Messages => [.. _messages];

    /// <summary>Upgrades refused with 401, as for an unknown or revoked token.</summary>
    public int Unauthorized => Volatile.Read(ref _unauthorized);

    private int _unauthorized;

    public int Duplicates => Volatile.Read(ref _duplicates);

    public int Welcomes => Volatile.Read(ref _welcomes);

    public int OpenSockets => _sockets.Count;

    public static async Task<FakeAgentServer> StartAsync(params AgentMonitor[] monitors)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeAgentServer(app) { _monitors = monitors };
        app.UseWebSockets();
        app.MapGet("/health", () => "all good");
        app.Map(AgentProtocol.Path, server.AcceptAsync);
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>An http monitor of this server's <c>/health</c>, checked every <paramref name="intervalSeconds"/>.</summary>
    public AgentMonitor HealthMonitor(int id, int intervalSeconds = 1) => new(id, $"health-{id}", new Dictionary<string, string?>
    {
        ["Name"] = $"Health {id}",
        ["Url"] = new Uri(BaseUrl, "/health").ToString(),
        ["IntervalSeconds"] = intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["TimeoutSeconds"] = "1",
        ["Locations"] = Location,
    });

    /// <summary>From now on no <c>ack</c> is sent: what the agent sends stays in its buffer.</summary>
    public void HoldAcks() => _holdAcks = true;

    public void SendAcks() => _holdAcks = false;

    /// <summary>The server "goes away": open sockets are dropped without a close, upgrades answered 503 until <see cref="ComeBack"/>.</summary>
    public void GoDown()
    {
        _down = true;
        foreach (var socket in _sockets.Keys)
        {
            socket.Abort();
        }
    }

    public void ComeBack() => _down = false;

    /// <summary>Revokes the token: every open socket, and every later one, is closed with 1008 and <paramref name="reason"/>.</summary>
    public async Task RevokeAsync(string reason)
    {
        _revoked = reason;
        foreach (var socket in _sockets.Keys)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, reason, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>A new list, sent to every open socket as a <c>monitors</c> message, and in later welcomes.</summary>
    public async Task SetMonitorsAsync(params AgentMonitor[] monitors)
    {
        _monitors = monitors;
        foreach (var socket in _sockets.Keys)
        {
            await SendAsync(socket, new AgentMonitors(monitors), CancellationToken.None);
        }
    }

    private async Task AcceptAsync(HttpContext context)
    {
        if (context.Request.Headers.Origin.Count > 0)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            Interlocked.Increment(ref _unauthorized);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (_down)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var aborted = context.RequestAborted;
        var named = context.Request.Headers[AgentProtocol.LocationHeader].ToString();
        if (_revoked is { } reason)
        {
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, aborted);
            return;
        }
        if (!named.Equals(Location, StringComparison.OrdinalIgnoreCase))
        {
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation,
                $"the agent names location \"{named}\" but its token is for \"{Location}\"", aborted);
            return;
        }
        _sockets[socket] = new SemaphoreSlim(1, 1);
        try
        {
            Interlocked.Increment(ref _welcomes);
            await SendAsync(socket, new AgentWelcome(Location, DateTimeOffset.UtcNow, Limits, _monitors), aborted);
            while (await ReceiveAsync(socket, aborted) is { } text)
            {
                var results = JsonSerializer.Deserialize<AgentResults>(text, AgentProtocol.Json)!;
                _messages.Enqueue((Encoding.UTF8.GetByteCount(text), results.Checks!.Count));
                if (Encoding.UTF8.GetByteCount(text) > Limits.MaxMessageBytes || results.Checks!.Count > Limits.MaxChecksPerMessage)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big", aborted);
                    return;
                }
                var hold = _holdAcks;
                var ack = Record(results, hold);
                if (!hold)
                {
                    await SendAsync(socket, ack, aborted);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _sockets.TryRemove(socket, out _);
        }
    }

    private AgentAck Record(AgentResults results, bool hold)
    {
        int stored = 0, duplicates = 0;
        var refused = new List<AgentRefusal>();
        var monitors = _monitors.ToDictionary(m => m.Id);
        for (var i = 0; i < results.Checks!.Count; i++)
        {
            var check = results.Checks[i];
            _received.Enqueue(check);
            if (hold)
            {
                _unacked.Enqueue(check);
            }
            if (!monitors.TryGetValue(check.Monitor, out var monitor))
            {
                refused.Add(new AgentRefusal(i, $"checks[{i}].monitor", check.Monitor.ToString(), "is not assigned to " + Location));
            }
            else if (Partitions.SlotAtOrAfter(check.Monitor, TimeSpan.FromSeconds(int.Parse(monitor.Fields["IntervalSeconds"]!)), check.Slot) != check.Slot)
            {
                refused.Add(new AgentRefusal(i, $"checks[{i}].slot", check.Slot.ToString("O"), "is not a slot of the monitor's grid"));
            }
            else if (_stored.TryAdd((check.Monitor, check.Slot), check))
            {
                stored++;
            }
            else
            {
                duplicates++;
            }
        }
        foreach (var refusal in refused)
        {
            _refusals.Enqueue($"{refusal.Field} {refusal.Value} {refusal.Error}");
        }
        Interlocked.Add(ref _duplicates, duplicates);
        return new AgentAck(results.Seq, stored, duplicates, refused);
    }

    /// <summary>One send at a time per socket: a monitor list and an ack may be sent from two places.</summary>
    private async Task SendAsync<T>(WebSocket socket, T message, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, AgentProtocol.Json);
        if (!_sockets.TryGetValue(socket, out var gate))
        {
            return;
        }
        await gate.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, true, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (message.Length > Limits.MaxMessageBytes * 2L)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        GoDown();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
