using System.Net;
using System.Text.Json;

namespace UptimeWatch.Bench;

/// <summary>
/// The local target: a minimal Kestrel responder on 127.0.0.1. <c>/m/{i}</c> answers monitor i (200 "ok", or 503
/// while the path is set failing), <c>/bare/{i}</c> answers the bare client; counters per path let requests be
/// attributed. <c>/ctl/...</c> flips paths and reports counts.
/// </summary>
internal static class Target
{
    private static readonly byte[] Ok = "ok"u8.ToArray();
    private static readonly byte[] Failing = "failing"u8.ToArray();

    public static async Task<int> RunAsync(Args args)
    {
        var port = args.Int("port", 0);
        var paths = args.Int("paths", 10_000);
        var seconds = args.Int("seconds", 600);
        var counts = new long[paths];
        var failing = new bool[paths];
        long bare = 0, barePooled = 0, bareNoSpin = 0, other = 0, firstMonitorRequestMs = 0;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxConcurrentConnections = null;
            k.AddServerHeader = false;
        });
        await using var app = builder.Build();
        app.Run(async http =>
        {
            var path = http.Request.Path.Value ?? "";
            if (path.StartsWith("/m/", StringComparison.Ordinal) && int.TryParse(path.AsSpan(3), out var i) && (uint)i < (uint)paths)
            {
                if (Interlocked.Increment(ref counts[i]) == 1)
                {
                    Interlocked.CompareExchange(ref firstMonitorRequestMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
                }
                var fail = Volatile.Read(ref failing[i]);
                http.Response.StatusCode = fail ? 503 : 200;
                http.Response.ContentLength = fail ? Failing.Length : Ok.Length;
                await http.Response.Body.WriteAsync(fail ? Failing : Ok);
                return;
            }
            if (path.StartsWith("/bare/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref path.StartsWith("/bare/p/", StringComparison.Ordinal) ? ref barePooled
                    : ref path.StartsWith("/bare/n/", StringComparison.Ordinal) ? ref bareNoSpin : ref bare);
                http.Response.ContentLength = Ok.Length;
                await http.Response.Body.WriteAsync(Ok);
                return;
            }
            if (path.StartsWith("/ctl/", StringComparison.Ordinal))
            {
                var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (parts is ["ctl", "fail" or "ok", var n] && int.TryParse(n, out var j) && (uint)j < (uint)paths)
                {
                    Volatile.Write(ref failing[j], parts[1] == "fail");
                    return;
                }
                if (parts is ["ctl", "stats"])
                {
                    long monitorTotal = 0, pathsHit = 0;
                    for (var k = 0; k < counts.Length; k++)
                    {
                        var v = Interlocked.Read(ref counts[k]);
                        monitorTotal += v;
                        pathsHit += v > 0 ? 1 : 0;
                    }
                    await http.Response.WriteAsJsonAsync(new TargetStats(monitorTotal, pathsHit, Interlocked.Read(ref bare),
                        Interlocked.Read(ref barePooled), Interlocked.Read(ref bareNoSpin), Interlocked.Read(ref other), Interlocked.Read(ref firstMonitorRequestMs)));
                    return;
                }
            }
            Interlocked.Increment(ref other);
            http.Response.StatusCode = 404;
        });
        using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await app.StartAsync(lifetime.Token);
        // Bounded: the target stops by itself even if the bench that started it is gone.
        try
        {
            await Task.Delay(Timeout.Infinite, lifetime.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}

internal sealed record TargetStats(long MonitorRequests, long PathsHit, long BareRequests, long BarePooledRequests, long BareNoSpinRequests, long OtherRequests, long FirstMonitorRequestUnixMs)
{
    public long Bare(string prefix) => prefix switch { "p" => BarePooledRequests, "n" => BareNoSpinRequests, _ => BareRequests };

    public static async Task<TargetStats> ReadAsync(HttpClient client, int port) =>
        (await client.GetFromJsonAsync<TargetStats>($"http://127.0.0.1:{port}/ctl/stats", Json.Options))!;
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
