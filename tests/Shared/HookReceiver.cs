using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UptimeWatch.Testing;

/// <summary>
/// A real Kestrel receiver on 127.0.0.1 for notifications (webhook, Slack, Discord, Teams, Telegram, ntfy), as a
/// customer would run one: it records every request on any path and answers with the next queued
/// <see cref="HookReply"/>, or 200 "ok". With a <see cref="Secret"/> it checks the webhook signature the way a receiver
/// should. It binds port 0 and reports its address, and it can be stopped and started again on that same address (a
/// receiver that is down, then back).
/// </summary>
internal sealed class HookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<HookReply> _replies = new();
    private readonly ConcurrentQueue<ReceivedHook> _received = new();
    private readonly ConcurrentQueue<ReceivedHook> _accepted = new();
    private readonly CancellationTokenSource _closing = new();
    private WebApplication? _app;
    private Socket? _keeper;
    private int _hanging;

    private HookReceiver(string? secret) => Secret = secret;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The HMAC key to verify <c>X-UptimeWatch-Signature</c> with, as a webhook receiver would.</summary>
    public string? Secret { get; set; }

    /// <summary>Every request that arrived, answered or not, in arrival order.</summary>
    public IReadOnlyList<ReceivedHook> Received => [.. _received];

    /// <summary>The requests answered 2xx, in arrival order.</summary>
    public IReadOnlyList<ReceivedHook> Accepted => [.. _accepted];

    /// <summary>Every answer waits this long first: a slow receiver (the request counts as received on arrival).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>How many requests are held right now without an answer (<see cref="HookReply.Hang"/>).</summary>
    public int Hanging => Volatile.Read(ref _hanging);

    public ReceivedHook Single() => Assert.Single(_received);

    /// <summary>The accepted requests, once <paramref name="done"/> holds for them (within a minute).</summary>
    public Task<IReadOnlyList<ReceivedHook>> AcceptedAsync(Func<IReadOnlyList<ReceivedHook>, bool> done, string what) =>
        Eventually.Until(() => Task.FromResult(Accepted), done, TimeSpan.FromSeconds(60), what);

    public Uri Url(string path) => new(BaseUrl, path.TrimStart('/'));

    /// <summary>The next request gets this answer (then the next queued one, then 200).</summary>
    public void Reply(HookReply reply) => _replies.Enqueue(reply);

    /// <summary>The next <paramref name="count"/> requests fail with <paramref name="status"/>.</summary>
    public void FailNext(int count, int status = 503)
    {
        for (var i = 0; i < count; i++)
        {
            Reply(new HookReply(status, "try again later"));
        }
    }

    public static async Task<HookReceiver> StartAsync(string? secret = null)
    {
        var receiver = new HookReceiver(secret);
        await receiver.ListenAsync(0);
        var address = receiver._app!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        // Holds the port for the receiver's whole life, bound but not listening: while the receiver is stopped a
        // delivery is refused, and nothing else can take the port before it starts again.
        receiver._keeper = Bind(new IPEndPoint(IPAddress.Loopback, receiver.BaseUrl.Port));
        return receiver;
    }

    /// <summary>Stops listening: deliveries get "connection refused" until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again, on the same address.</summary>
    public Task RestartAsync() => _app is null ? ListenAsync(BaseUrl.Port) : Task.CompletedTask;

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        // Kestrel listens on a socket made here so that it can share the port with the keeper (SO_REUSEPORT).
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint => Bind(endpoint));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
    }

    /// <summary>A TCP socket bound to <paramref name="endpoint"/> with SO_REUSEPORT (Linux), not listening.</summary>
    private static Socket Bind(EndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        const int SolSocket = 1, SoReusePort = 15;
        socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        socket.Bind(endpoint);
        return socket;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        bool? signatureValid = null;
        if (Secret is not null)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));
            signatureValid = headers.TryGetValue("X-UptimeWatch-Signature", out var sent) &&
                             CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(sent));
        }
        var hook = new ReceivedHook(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
            headers, body, signatureValid) { RemotePort = context.Connection.RemotePort };
        var reply = _replies.TryDequeue(out var next) ? next : new HookReply(200, "ok");
        if (Delay > TimeSpan.Zero && !reply.Hang)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The sender gave up (or died) while it waited: it was received, never answered.
                _received.Enqueue(hook);
                return;
            }
        }
        if (reply.Hang)
        {
            // Never answers: the sender's deadline (or the receiver's end) has to end it.
            Interlocked.Increment(ref _hanging);
            _received.Enqueue(hook);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _closing.Token);
            await Task.Delay(Timeout.Infinite, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Interlocked.Decrement(ref _hanging);
            return;
        }
        // Accepted before it is received, so that whoever sees it received also sees whether it was accepted.
        if (reply.Status is >= 200 and < 300)
        {
            _accepted.Enqueue(hook);
        }
        _received.Enqueue(hook);
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        await context.Response.WriteAsync(reply.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await StopAsync();
        _keeper?.Dispose();
        _closing.Dispose();
    }
}

/// <summary>How <see cref="HookReceiver"/> answers one request; <see cref="Hang"/> never answers.</summary>
internal sealed record HookReply(int Status, string Body = "", IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false);

/// <summary>One request as the receiver saw it; <see cref="SignatureValid"/> is null when no secret was set.</summary>
internal sealed record ReceivedHook(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool? SignatureValid)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    /// <summary>The body as a JSON object, for paths such as <c>Node["monitor"]!["slug"]</c>.</summary>
    public JsonObject Node => JsonNode.Parse(Body)!.AsObject();

    /// <summary>A notification's <c>event</c> (webhook payload).</summary>
    public string Event => Node["event"]!.GetValue<string>();

    /// <summary>The <c>Idempotency-Key</c> header, or "" without one.</summary>
    public string Key => Header("Idempotency-Key") ?? "";

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The sender's TCP port: which process sent it (several nodes on one machine).</summary>
    public int RemotePort { get; init; }
}
