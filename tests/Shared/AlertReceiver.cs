using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace UptimeWatch.Testing;

/// <summary>
/// A webhook receiver on 127.0.0.1, as a customer would run one: checks the HMAC signature of every delivery with
/// the shared secret, can refuse the next N deliveries (503), and can be stopped and started again on the same port
/// (a receiver that is down, then back).
/// </summary>
internal sealed class AlertReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<Delivery> _accepted = new();
    private readonly string _secret;
    private WebApplication? _app;
    private int _failNext;

    private AlertReceiver(int port, string secret)
    {
        Port = port;
        _secret = secret;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    /// <summary>Deliveries answered 2xx, in arrival order.</summary>
    public IReadOnlyList<Delivery> Accepted => [.. _accepted];

    /// <summary>Every request that arrived, accepted or not.</summary>
    public int Requests;

    /// <summary>Answers the next <paramref name="count"/> deliveries with 503.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public static async Task<AlertReceiver> StartAsync(string secret, int? port = null)
    {
        var receiver = new AlertReceiver(port ?? TargetServer.FreePort(), secret);
        await receiver.StartAsync();
        return receiver;
    }

    /// <summary>Starts listening (again) on the same port.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/hook", async (HttpContext context) =>
        {
            Interlocked.Increment(ref Requests);
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var body = buffer.ToArray();
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                return Results.Text("try later", statusCode: 503);
            }
            var signature = context.Request.Headers["X-UptimeWatch-Signature"].ToString();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), body));
            var valid = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(expected));
            _accepted.Enqueue(new Delivery(JsonNode.Parse(body)!.AsObject(), context.Request.Headers["Idempotency-Key"].ToString(), valid));
            return Results.Ok();
        });
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Stops listening: deliveries get "connection refused" until <see cref="StartAsync()"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>One accepted delivery: its JSON body, its idempotency key, and whether its signature was right.</summary>
    internal sealed record Delivery(JsonObject Body, string Key, bool SignatureValid)
    {
        public string Event => Body["event"]!.GetValue<string>();
    }
}
