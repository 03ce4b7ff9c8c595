using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;

namespace UptimeWatch.Live;

/// <summary>
/// Caps live connections (SSE streams and held polls) in total and per client (an IPv4 address or an IPv6 /64, see
/// <see cref="ClientKey"/>), and counts them for the metrics.
/// </summary>
internal sealed class ConnectionLimiter(IOptions<UptimeWatchOptions> options, Telemetry.UptimeWatchMetrics metrics)
{
    private readonly ConcurrentDictionary<string, int> _perIp = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    /// <summary>A slot, or why there is none: <c>(null, 503)</c> when the server is full, <c>(null, 429)</c> for this client.</summary>
    /// <param name="client">The client's address (after forwarded headers).</param>
    /// <param name="transport"><c>sse</c> or <c>longpoll</c>: the metrics count them apart.</param>
    public (IDisposable? Slot, int RefusalStatus) TryAcquire(IPAddress? client, string transport)
    {
        var ip = ClientKey.For(client);
        var live = options.Value.Live;
        if (Interlocked.Increment(ref _total) > live.MaxStreams)
        {
            Interlocked.Decrement(ref _total);
            return (null, StatusCodes.Status503ServiceUnavailable);
        }
        var count = _perIp.AddOrUpdate(ip, 1, (_, n) => n + 1);
        if (count > live.MaxStreamsPerIp)
        {
            Release(ip);
            return (null, StatusCodes.Status429TooManyRequests);
        }
        return (new Slot(this, ip, metrics.Connected(transport)), 0);
    }

    private void Release(string ip)
    {
        Interlocked.Decrement(ref _total);
        // Remove the entry when it reaches zero so the table does not keep every IP ever seen.
        while (_perIp.TryGetValue(ip, out var n))
        {
            if (n <= 1 ? _perIp.TryRemove(new KeyValuePair<string, int>(ip, n)) : _perIp.TryUpdate(ip, n - 1, n))
            {
                return;
            }
        }
    }

    private sealed class Slot(ConnectionLimiter limiter, string ip, IDisposable counted) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                limiter.Release(ip);
                counted.Dispose();
            }
        }
    }
}
