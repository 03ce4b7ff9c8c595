using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// Every second, looks again at each monitor judged by quorum: a location that has not reported for
/// <see cref="LocationQuorum.OfflineAfterIntervals"/> intervals is offline and stops voting, which may change the
/// monitor's status (to unknown when fewer than its quorum still report) although no check came in. And the probe
/// locations as a whole: one that reported since this server started and is now offline for every monitor it checks
/// gets one system alert (<c>location.offline</c>), and another (<c>location.online</c>) when it reports again, to the
/// channels of its monitors; never a down alert per monitor.
/// </summary>
internal sealed partial class LocationWatch(MonitorRegistry registry, JournalWriter writer, IOptions<UptimeWatchOptions> options, TimeProvider time,
    ILogger<LocationWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    // Locations found offline and told so; touched only by the loop.
    private readonly HashSet<string> _offline = new(StringComparer.OrdinalIgnoreCase);

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
            foreach (var alert in LocationAlerts(time.GetUtcNow()))
            {
                await writer.AppendAsync(alert, stoppingToken);
            }
        }
    }

    /// <summary>The agent locations that went offline, or came back, since the last look, as system alerts.</summary>
    private List<SystemAlert> LocationAlerts(DateTimeOffset now)
    {
        var server = options.Value.Location;
        var seen = new Dictionary<string, (bool Reporting, DateTimeOffset LastReportAt, HashSet<string> Channels)>(StringComparer.OrdinalIgnoreCase);
        foreach (var monitor in registry.Active.Where(m => m.ByQuorum && m.State.Status != MonitorStatus.Paused).OrderBy(m => m.Id))
        {
            foreach (var (view, offline) in monitor.Locations(now))
            {
                if (view.LastReportAt is not { } last || view.Name.Equals(server, StringComparison.OrdinalIgnoreCase))
                {
                    // Never reported since this server started: nothing to say it stopped.
                    continue;
                }
                var entry = seen.TryGetValue(view.Name, out var e) ? e
                    : (Reporting: false, LastReportAt: last, Channels: new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                entry = (entry.Reporting || !offline, last > entry.LastReportAt ? last : entry.LastReportAt, entry.Channels);
                entry.Channels.UnionWith(monitor.AlertRules.Channels ?? []);
                seen[view.Name] = entry;
            }
        }
        var alerts = new List<SystemAlert>();
        foreach (var (location, (reporting, lastReportAt, channels)) in seen)
        {
            if (!reporting && _offline.Add(location))
            {
                LogOffline(location, lastReportAt);
                alerts.Add(new SystemAlert($"location:{location}:offline:{now.ToUnixTimeMilliseconds()}", "location.offline", $"location {location}", "offline",
                    $"no report from {location} since {lastReportAt:yyyy-MM-dd HH:mm:ss} UTC, three intervals of every monitor it checks", [.. channels], now));
            }
            else if (reporting && _offline.Remove(location))
            {
                LogOnline(location);
                alerts.Add(new SystemAlert($"location:{location}:online:{now.ToUnixTimeMilliseconds()}", "location.online", $"location {location}", "reporting",
                    $"{location} reports again", [.. channels], now));
            }
        }
        return alerts;
    }

    [LoggerMessage(LogLevel.Warning, "The probe location {Location} is offline: no report since {LastReportAt}; its checks do not vote until it is back")]
    private partial void LogOffline(string location, DateTimeOffset lastReportAt);

    [LoggerMessage(LogLevel.Information, "The probe location {Location} reports again")]
    private partial void LogOnline(string location);

    [LoggerMessage(LogLevel.Information, "{Monitor} is now {Status} without a new check: {Reason}")]
    private partial void LogRejudged(string monitor, MonitorStatus status, string reason);
}
