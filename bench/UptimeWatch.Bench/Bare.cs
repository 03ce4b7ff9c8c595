using System.Diagnostics;
using System.Text.Json;

namespace UptimeWatch.Bench;

/// <summary>
/// The bare limit: plain <c>HttpClient</c> GETs at the same cadence as N monitors at an interval (N/interval per
/// second, spread evenly), nothing else. <c>--fresh</c> sends <c>Connection: close</c> so every GET opens a new
/// connection, as UptimeWatch's probe does; without it connections are pooled (keep-alive).
/// </summary>
internal static class Bare
{
    public static async Task<int> RunAsync(Args args)
    {
        var url = args.Str("url", "http://127.0.0.1:5000/bare/");
        var count = args.Int("monitors", 10_000);
        var interval = args.Double("interval", 30);
        var seconds = args.Double("seconds", 60);
        var fresh = args.Flag("fresh");
        var maxConcurrency = args.Int("concurrency", 200);

        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), ConnectTimeout = TimeSpan.FromSeconds(10) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var gate = new SemaphoreSlim(maxConcurrency);
        long ok = 0, failed = 0, skipped = 0;
        var periodTicks = (long)(interval * Stopwatch.Frequency / count);
        var total = (long)(seconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        long n = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (await timer.WaitForNextTickAsync())
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            if (elapsed >= total)
            {
                break;
            }
            // Fire every GET that is due by now, as a scheduler would.
            while (n * periodTicks <= elapsed)
            {
                var i = n % count;
                n++;
                if (!gate.Wait(0))
                {
                    skipped++;
                    continue;
                }
                _ = GetAsync(i);
            }
        }
        // Let the last GETs finish (bounded by the client timeout).
        for (var k = 0; k < maxConcurrency; k++)
        {
            await gate.WaitAsync(TimeSpan.FromSeconds(11));
        }
        Console.WriteLine(JsonSerializer.Serialize(new { sent = n, ok, failed, skipped }));
        return 0;

        async Task GetAsync(long i)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url + i);
                if (fresh)
                {
                    request.Headers.ConnectionClose = true;
                }
                using var response = await client.SendAsync(request);
                _ = await response.Content.ReadAsByteArrayAsync();
                Interlocked.Increment(ref (response.IsSuccessStatusCode ? ref ok : ref failed));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
