using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UptimeWatch.Testing;

/// <summary>
/// A real Kestrel receiver on 127.0.0.1 for notifications (webhook, Slack, Discord, Teams, Telegram, ntfy): it
/// records every request on any path and answers with the next queued <see cref="HookReply"/>, or 200 "ok".
/// With a <see cref="Secret"/> it checks the webhook signature the way a receiver should.
/// </summary>
internal sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<HookReply> _replies = new();
    private readonly ConcurrentQueue<ReceivedHook> _received = new();

    private HookReceiver(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The HMAC key to verify <c>X-UptimeWatch-Signature</c> with, as a webhook receiver would.</summary>
    public string? Secret { get; set; }

    public IReadOnlyList<ReceivedHook> Received => [.. _received];

    public ReceivedHook Single() => Assert.Single(_received);

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

    public static async Task<HookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new HookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return receiver;
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
        _received.Enqueue(new ReceivedHook(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
            headers, body, signatureValid));

        var reply = _replies.TryDequeue(out var next) ? next : new HookReply(200, "ok");
        if (reply.Hang)
        {
            // Never answers: the sender's deadline has to end it.
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return;
        }
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        await context.Response.WriteAsync(reply.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>How <see cref="HookReceiver"/> answers one request; <see cref="Hang"/> never answers.</summary>
internal sealed record HookReply(int Status, string Body = "", IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false);

/// <summary>One request as the receiver saw it; <see cref="SignatureValid"/> is null when no secret was set.</summary>
internal sealed record ReceivedHook(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool? SignatureValid)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
