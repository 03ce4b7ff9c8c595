using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// Every second, looks again at each monitor judged by quorum: a location that has not reported for
/// <see cref="LocationQuorum.OfflineAfterIntervals"/> intervals is offline and stops voting, which may change the
/// monitor's status (to unknown when fewer than its quorum still report) although no check came in. And the probe
/// locations as a whole: one that reported since this server started and is now offline for every monitor it checks
/// gets one system alert (<c>location.offline</c>), and another (<c>location.online</c>) when it reports again, to the
/// channels of its monitors; never a down alert per monitor. Likewise "is it me?": an agent whose checks come in held (its
/// canaries fail) gets one <c>location.isolated</c> alert, and <c>location.connected</c> when they count again; this server's
/// own canaries failing is one <c>node.offline</c> alert to the channels of every monitor (delivered once the network is
/// back if nothing can be sent meanwhile), and <c>node.online</c> when they answer again.
/// </summary>
internal sealed partial class LocationWatch(MonitorRegistry registry, JournalWriter writer, Canaries canaries, IOptions<UptimeWatchOptions> options,
    TimeProvider time, ILogger<LocationWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    // Locations found offline and told so; touched only by the loop.
    private readonly HashSet<string> _offline = new(StringComparer.OrdinalIgnoreCase);

    // Agent locations whose latest checks are held (they cannot reach the internet) and told so; touched only by the loop.
    private readonly HashSet<string> _isolated = new(StringComparer.OrdinalIgnoreCase);

    // When this node was found cut off and told so; touched only by the loop.
    private DateTimeOffset? _nodeOfflineSince;

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
            foreach (var alert in LocationAlerts(time.GetUtcNow()).Concat(NodeAlerts(time.GetUtcNow())))
            {
                await writer.AppendAsync(alert, stoppingToken);
            }
        }
    }

    /// <summary>The agent locations that went offline or came back, or lost or found the internet, since the last look, as system alerts.</summary>
    private List<SystemAlert> LocationAlerts(DateTimeOffset now)
    {
        var server = options.Value.Location;
        var seen = new Dictionary<string, Seen>(StringComparer.OrdinalIgnoreCase);
        foreach (var monitor in registry.Active.Where(m => m.ByQuorum && m.State.Status != MonitorStatus.Paused))
        {
            foreach (var (view, offline) in monitor.Locations(now))
            {
                if (view.LastReportAt is not { } last || view.Name.Equals(server, StringComparison.OrdinalIgnoreCase))
                {
                    // Never reported since this server started: nothing to say it stopped.
                    continue;
                }
                var entry = seen.TryGetValue(view.Name, out var e) ? e : new Seen(false, last, view.CutOff, []);
                // Whether it is cut off now is what its latest check says, whichever monitor that was.
                entry = entry with
                {
                    Reporting = entry.Reporting || !offline,
                    LastReportAt = last > entry.LastReportAt ? last : entry.LastReportAt,
                    CutOff = last > entry.LastReportAt ? view.CutOff : entry.CutOff,
                };
                entry.Channels.UnionWith(monitor.AlertRules.Channels ?? []);
                seen[view.Name] = entry;
            }
        }
        var alerts = new List<SystemAlert>();
        foreach (var (location, (reporting, lastReportAt, cutOff, channels)) in seen)
        {
            var subject = $"location {location}";
            if (!reporting && _offline.Add(location))
            {
                LogOffline(location, lastReportAt);
                alerts.Add(new SystemAlert(Key($"location:{location}", "offline", now), "location.offline", subject, "offline",
                    $"no report from {location} since {Time(lastReportAt)}, three intervals of every monitor it checks", [.. channels], now));
            }
            else if (reporting && _offline.Remove(location))
            {
                LogOnline(location);
                alerts.Add(new SystemAlert(Key($"location:{location}", "online", now), "location.online", subject, "reporting",
                    $"{location} reports again", [.. channels], now));
            }
            if (reporting && cutOff && _isolated.Add(location))
            {
                LogIsolated(location);
                alerts.Add(new SystemAlert(Key($"location:{location}", "isolated", now), "location.isolated", subject, "cannot reach the internet",
                    $"location {location} cannot reach the internet: every one of its canaries fails",
                    [.. channels], now));
            }
            else if (reporting && !cutOff && _isolated.Remove(location))
            {
                LogConnected(location);
                alerts.Add(new SystemAlert(Key($"location:{location}", "connected", now), "location.connected", subject, "reaches the internet",
                    $"location {location} reaches the internet again", [.. channels], now));
            }
        }
        return alerts;
    }

    /// <summary>
    /// This node's own canaries: found failing, one <c>node.offline</c>; answering again, one <c>node.online</c>. To the
    /// channels of every monitor, since every monitor's checks are held meanwhile.
    /// </summary>
    private List<SystemAlert> NodeAlerts(DateTimeOffset now)
    {
        var since = canaries.CutOffSince;
        if ((since is not null) == (_nodeOfflineSince is not null))
        {
            return [];
        }
        var channels = registry.Active.SelectMany(m => m.AlertRules.Channels ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var subject = NodeSubject();
        if (since is { } from)
        {
            _nodeOfflineSince = from;
            LogNodeOffline(from);
            return [new SystemAlert(Key($"node:{options.Value.Scheduler.NodeId}", "offline", now), "node.offline", subject, "offline",
                $"every canary fails since {Time(from)}: {canaries.Last?.Describe()}", channels, now)];
        }
        var began = _nodeOfflineSince!.Value;
        _nodeOfflineSince = null;
        LogNodeOnline(began);
        return [new SystemAlert(Key($"node:{options.Value.Scheduler.NodeId}", "online", now), "node.online", subject, "online",
            $"offline from {Time(began)} to {Time(now)}: the checks of that time were held, not counted", channels, now)];
    }

    /// <summary>How this node is named in its own alerts: by its location alone, with its node id in a cluster.</summary>
    private string NodeSubject()
    {
        var value = options.Value;
        return value.Storage.IsPostgres
            ? $"UptimeWatch node {value.Scheduler.NodeId} at {value.Location}"
            : $"UptimeWatch at {value.Location}";
    }

    private static string Key(string about, string what, DateTimeOffset now) => $"{about}:{what}:{now.ToUnixTimeMilliseconds()}";

    private static string Time(DateTimeOffset at) => $"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC";

    private sealed record Seen(bool Reporting, DateTimeOffset LastReportAt, bool CutOff, HashSet<string> Channels);

    [LoggerMessage(LogLevel.Warning, "The probe location {Location} cannot reach the internet (its canaries fail): its checks are held, not counted")]
    private partial void LogIsolated(string location);

    [LoggerMessage(LogLevel.Information, "The probe location {Location} reaches the internet again: its checks count again")]
    private partial void LogConnected(string location);

    [LoggerMessage(LogLevel.Warning, "This node cannot reach the internet since {Since} (its canaries fail): one node.offline alert queued")]
    private partial void LogNodeOffline(DateTimeOffset since);

    [LoggerMessage(LogLevel.Information, "This node reaches the internet again (cut off since {Since}): one node.online alert queued")]
    private partial void LogNodeOnline(DateTimeOffset since);

    [LoggerMessage(LogLevel.Warning, "The probe location {Location} is offline: no report since {LastReportAt}; its checks do not vote until it is back")]
    private partial void LogOffline(string location, DateTimeOffset lastReportAt);

    [LoggerMessage(LogLevel.Information, "The probe location {Location} reports again")]
    private partial void LogOnline(string location);

    [LoggerMessage(LogLevel.Information, "{Monitor} is now {Status} without a new check: {Reason}")]
    private partial void LogRejudged(string monitor, MonitorStatus status, string reason);
}
