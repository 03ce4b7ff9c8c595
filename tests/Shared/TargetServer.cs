using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UptimeWatch.Testing;

/// <summary>
/// A real Kestrel site on 127.0.0.1 for UptimeWatch to monitor. <c>/health</c> follows <see cref="Healthy"/>,
/// so a test can take the site "down" and bring it back.
/// </summary>
internal sealed class TargetServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TargetServer(WebApplication app) => _app = app;

    /// <summary>What <c>/health</c> answers: 200 "all good" when true, 503 when false.</summary>
    public volatile bool Healthy = true;

    private volatile bool _alternating;

    /// <summary>
    /// Until the handle is disposed, every request to <c>/health</c> answers the opposite of the one before: a flapping
    /// target driven by the checks themselves, not by a clock, so a loaded machine cannot make two flips fall between
    /// two checks. On dispose <see cref="Healthy"/> keeps its last value.
    /// </summary>
    public IDisposable Alternate()
    {
        _alternating = true;
        return new Alternation(this);
    }

    private sealed class Alternation(TargetServer server) : IDisposable
    {
        public void Dispose() => server._alternating = false;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The latest request <c>/echo</c> received, as the target saw it.</summary>
    public ReceivedRequest? LastEcho { get; private set; }

    public Uri Url(string path) => new(BaseUrl, path);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _served = new();
    private int _inFlight;

    /// <summary>How many answers <c>/counted/{name}</c> has sent in full.</summary>
    public int Served(string name) => _served.GetValueOrDefault(name);

    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Name, DateTimeOffset At)> _servedAt = new();

    /// <summary>When each answer of <c>/counted/{name}</c> was sent in full, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> ServedAt(string name) => [.. _servedAt.Where(s => s.Name == name).Select(s => s.At)];

    /// <summary>Requests to <c>/counted/…</c> received and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPAddress, bool> _refused = new();

    /// <summary>
    /// From now on, connections from these addresses are accepted and dropped at once, before any HTTP: what a
    /// firewall's reject or a broken path looks like from one network, while every other source is served as usual
    /// (a probe's <c>Probing:SourceAddress</c> picks its loopback address, 127.0.0.0/8 being all this machine's).
    /// </summary>
    public void RefuseFrom(params IPAddress[] sources)
    {
        foreach (var source in sources)
        {
            _refused[source] = true;
        }
    }

    /// <summary>Serves every source again.</summary>
    public void ServeEveryone() => _refused.Clear();

    public static async Task<TargetServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        TargetServer? started = null;
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
        {
            if (connection.RemoteEndPoint is IPEndPoint peer && started!._refused.ContainsKey(peer.Address))
            {
                connection.Abort();
                return Task.CompletedTask;
            }
            return next(connection);
        })));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = started = new TargetServer(app);

        app.MapGet("/ok", () => Results.Text("hello from the target"));
        app.MapGet("/health", () =>
        {
            if (server._alternating)
            {
                server.Healthy = !server.Healthy;
            }
            return server.Healthy ? Results.Text("all good") : Results.Text("maintenance", statusCode: 503);
        });
        app.MapGet("/status/{code:int}", (int code) => Results.Text($"status {code}", statusCode: code));
        app.MapGet("/text", (string body) => Results.Text(body));
        app.MapGet("/slow", async (int ms, CancellationToken ct) =>
        {
            await Task.Delay(ms, ct);
            return Results.Text("finally");
        });
        // Waits ms, then answers and counts the answer once it is sent: what a check that completed has seen.
        app.MapGet("/counted/{name}", async (string name, int? ms, HttpContext context) =>
        {
            Interlocked.Increment(ref server._inFlight);
            try
            {
                // A client that gave up gets no answer, so nothing is counted for it.
                await Task.Delay(ms ?? 0, context.RequestAborted);
                await context.Response.WriteAsync("counted", CancellationToken.None);
                await context.Response.CompleteAsync();
                server._served.AddOrUpdate(name, 1, (_, n) => n + 1);
                server._servedAt.Enqueue((name, DateTimeOffset.UtcNow));
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref server._inFlight);
            }
        });
        app.MapGet("/loop", () => Results.Redirect("/loop"));
        app.MapGet("/chain/{n:int}", (int n) => n <= 0 ? Results.Text("end of chain") : Results.Redirect($"/chain/{n - 1}"));
        app.MapGet("/to-ftp", () => Results.Redirect("ftp://127.0.0.1/file"));
        app.MapGet("/big", async (HttpContext context, CancellationToken ct) =>
        {
            // 3 MiB of filler, then the word a keyword check would look for: beyond the probe's read cap.
            context.Response.ContentType = "text/plain";
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            for (var i = 0; i < 48; i++)
            {
                await context.Response.Body.WriteAsync(chunk, ct);
            }
            await context.Response.WriteAsync("needle", ct);
        });

        app.MapGet("/json", (string body) => Results.Text(body, "application/json"));
        // Every query parameter becomes a response header: /with-headers?X-Version=2.1.0
        app.MapGet("/with-headers", (HttpContext context) =>
        {
            foreach (var (name, value) in context.Request.Query)
            {
                context.Response.Headers[name] = value;
            }
            return Results.Text("headers set");
        });
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.Map("/echo", async (HttpContext context, CancellationToken ct) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(ct);
            server.LastEcho = new ReceivedRequest(context.Request.Method,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
            return Results.Text("echoed");
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What a target received: method, headers (name → comma-joined values) and body.</summary>
internal sealed record ReceivedRequest(string Method, IReadOnlyDictionary<string, string> Headers, string Body);
