using UptimeWatch.Journal;
using UptimeWatch.Monitoring;

namespace UptimeWatch.Agents;

/// <summary>
/// Every second, looks again at each monitor judged by quorum: a location that has not reported for
/// <see cref="LocationQuorum.OfflineAfterIntervals"/> intervals is offline and stops voting, which may change the
/// monitor's status (to unknown when fewer than its quorum still report) although no check came in.
/// </summary>
internal sealed partial class LocationWatch(MonitorRegistry registry, JournalWriter writer, TimeProvider time, ILogger<LocationWatch> logger)
    : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var monitor in registry.Active.Where(m => m.ByQuorum))
            {
                using var turn = await monitor.EnterAsync(stoppingToken);
                if (monitor.Rejudge(time.GetUtcNow()) is { } judgement)
                {
                    LogRejudged(monitor.Definition.Slug, judgement.Change!.To, judgement.Change.Reason);
                    await writer.AppendAsync(CheckWrite.From(judgement), stoppingToken);
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "{Monitor} is now {Status} without a new check: {Reason}")]
    private partial void LogRejudged(string monitor, Storage.MonitorStatus status, string reason);
}
