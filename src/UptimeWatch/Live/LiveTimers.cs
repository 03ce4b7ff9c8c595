using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Live;

/// <summary>
/// The two clocks of the public stream, one for all connections rather than one per connection: every
/// <c>Live:CheckFrameMs</c> the coalesced <c>checks</c> frame goes out, and about once a second every stream that has
/// been sent nothing for <c>Live:HeartbeatSeconds</c> gets a keepalive comment.
/// </summary>
internal sealed class LiveTimers(LivePublisher publisher, EventHub hub, IOptions<UptimeWatchOptions> options, TimeProvider time) : BackgroundService
{
    /// <summary>The comment line that keeps proxies and load balancers from closing an idle stream.</summary>
    internal static readonly LiveEvent KeepAliveEvent = new(null, "keepalive", true, ReadOnlyMemory<byte>.Empty, ": keepalive\n\n"u8.ToArray());

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var live = options.Value.Live;
        var heartbeat = TimeSpan.FromSeconds(live.HeartbeatSeconds);
        // Each stream is looked at this often, so its keepalive comes at most this much after its idle time is up.
        var heartbeatTick = TimeSpan.FromSeconds(Math.Min(1, live.HeartbeatSeconds / 2.0));
        return Task.WhenAll(
            EveryAsync(TimeSpan.FromMilliseconds(live.CheckFrameMs), publisher.FlushChecks, stoppingToken),
            EveryAsync(heartbeatTick, () => hub.KeepAlive(KeepAliveEvent, heartbeat), stoppingToken));
    }

    private async Task EveryAsync(TimeSpan period, Action action, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                action();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
