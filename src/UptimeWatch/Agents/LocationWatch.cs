using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;
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
internal sealed partial class LocationWatch(MonitorRegistry registry, JournalWriter writer, Canaries canaries, ClusterTurns turns,
    IServiceProvider services, IOptions<UptimeWatchOptions> options, TimeProvider time, ILogger<LocationWatch> logger) : BackgroundService
{
    // On a cluster: who runs which partition, so that one node looks again at each monitor. Null on a single node.
    private readonly PartitionRunner? _partitions = services.GetService<PartitionRunner>();

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
            // One copy of the registry per look, not one per use.
            var quorum = registry.Active.Where(m => m.ByQuorum).ToList();
            foreach (var monitor in quorum)
            {
                await RejudgeAsync(monitor, stoppingToken);
            }
            var watched = quorum.Where(m => m.State.Status != MonitorStatus.Paused).ToList();
            var witnesses = _partitions is null ? null : await WitnessesAsync(watched, stoppingToken);
            foreach (var alert in LocationAlerts(watched, witnesses, time.GetUtcNow()).Concat(NodeAlerts(time.GetUtcNow())))
            {
                await writer.AppendAsync(alert, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Looks again at a monitor judged by quorum. On a cluster only the node running its partition does, and only when
    /// what it holds in memory says a change is due: then in the monitor's cluster turn, on every location's stored
    /// checks (another node may have heard from the location it thinks silent), the change committed before the turn ends.
    /// </summary>
    private async Task RejudgeAsync(MonitorRuntime monitor, CancellationToken cancellationToken)
    {
        if (_partitions is not null && !_partitions.RunsWindowOf(monitor.Id))
        {
            return;
        }
        using var turn = await monitor.EnterAsync(cancellationToken);
        if (_partitions is not null && !monitor.RejudgeDue(time.GetUtcNow()))
        {
            return;
        }
        await using var clusterTurn = await turns.EnterAsync(monitor, cancellationToken);
        if (monitor.Rejudge(time.GetUtcNow()) is not { } judgement)
        {
            return;
        }
        LogRejudged(monitor.Definition.Slug, judgement.Change!.To, judgement.Change.Reason);
        if (clusterTurn is null)
        {
            await writer.AppendAsync(CheckWrite.From(judgement), cancellationToken);
            return;
        }
        await (await writer.AppendAwaitedAsync(CheckWrite.From(judgement), cancellationToken)).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// On a cluster, each agent location is watched by one node: the one running the partition of its witness, the
    /// monitor of lowest id that it checks (every node knows the same monitors, so every node names the same witness).
    /// Another node may have heard from the location since this one's memory did: when that memory says something is to
    /// be told (silent, back, cut off, connected), the witness's votes are read again from the database in its cluster
    /// turn first. The witnesses this node runs, by location.
    /// </summary>
    private async Task<Dictionary<string, MonitorRuntime>> WitnessesAsync(List<MonitorRuntime> watched, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var witnesses = new Dictionary<string, MonitorRuntime>(StringComparer.OrdinalIgnoreCase);
        foreach (var monitor in watched.OrderBy(m => m.Id))
        {
            foreach (var (view, _) in monitor.Locations(now))
            {
                witnesses.TryAdd(view.Name, monitor);
            }
        }
        foreach (var location in witnesses.Where(w => !_partitions!.RunsWindowOf(w.Value.Id)).Select(w => w.Key).ToList())
        {
            witnesses.Remove(location);
        }
        foreach (var (location, witness) in witnesses)
        {
            if (witness.Locations(now).FirstOrDefault(l => l.View.Name.Equals(location, StringComparison.OrdinalIgnoreCase)) is not { View.LastReportAt: not null } seen
                || (seen.Offline == _offline.Contains(location) && (seen.Offline || seen.View.CutOff == _isolated.Contains(location))))
            {
                continue;
            }
            using var turn = await witness.EnterAsync(cancellationToken);
            await using var clusterTurn = await turns.EnterAsync(witness, cancellationToken);
        }
        return witnesses;
    }

    /// <summary>
    /// The agent locations that went offline or came back, or lost or found the internet, since the last look, as system
    /// alerts. From every monitor each location checks on a single node; on a cluster from the witnesses this node runs.
    /// </summary>
    private List<SystemAlert> LocationAlerts(List<MonitorRuntime> watched, Dictionary<string, MonitorRuntime>? witnesses, DateTimeOffset now)
    {
        var server = options.Value.Location;
        var seen = new Dictionary<string, Seen>(StringComparer.OrdinalIgnoreCase);
        var channelsOf = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var monitor in watched)
        {
            foreach (var (view, offline) in monitor.Locations(now))
            {
                if (!channelsOf.TryGetValue(view.Name, out var channels))
                {
                    channelsOf[view.Name] = channels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                }
                channels.UnionWith(monitor.AlertRules.Channels ?? []);
                if (view.LastReportAt is not { } last || view.Name.Equals(server, StringComparison.OrdinalIgnoreCase)
                    || (witnesses is not null && (!witnesses.TryGetValue(view.Name, out var witness) || witness != monitor)))
                {
                    // Never reported since this server started: nothing to say it stopped. Or, on a cluster, another
                    // monitor (or another node) speaks for the location.
                    continue;
                }
                var entry = seen.TryGetValue(view.Name, out var e) ? e : new Seen(false, last, view.CutOff, channels);
                // Whether it is cut off now is what its latest check says, whichever monitor that was.
                entry = entry with
                {
                    Reporting = entry.Reporting || !offline,
                    LastReportAt = last > entry.LastReportAt ? last : entry.LastReportAt,
                    CutOff = last > entry.LastReportAt ? view.CutOff : entry.CutOff,
                };
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
