using System.Text.Json;
using System.Threading.Channels;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// A console change made on one node of a cluster (create, edit, delete, pause, resume, maintenance) takes effect on
/// every node: after it commits, the node NOTIFYs <see cref="Channel"/> with the monitor; every other node re-reads the
/// definitions and that monitor's stored state, reconciles its schedule (the path a local change takes) and tells its
/// own consoles (<c>monitors.changed</c>). A node that lost its listening connection re-reads every monitor once it is
/// back. On SQLite (one node) nothing is sent and nothing runs.
/// </summary>
internal sealed partial class MonitorChangeSignal(DatabaseSignals signals, DefinitionGate gate, MonitorRegistry registry,
    ScheduleReconciler reconciler, LivePublisher live, ILogger<MonitorChangeSignal> logger, PartitionRunner? partitions = null) : BackgroundService
{
    public const string Channel = "uw_monitors";

    // A node hears its own notifications too; it has applied them already.
    private readonly string _node = Guid.NewGuid().ToString("N");

    // Monitor ids to refresh, in arrival order; 0 = every monitor (connected again: changes may have been missed).
    private readonly Channel<Change> _changes = System.Threading.Channels.Channel.CreateUnbounded<Change>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Tells the other nodes that monitor <paramref name="monitorId"/> (0: some monitor, e.g. deleted) changed.</summary>
    public async Task NotifyAsync(int monitorId, string? slug, string change, CancellationToken cancellationToken)
    {
        if (!signals.Enabled)
        {
            return;
        }
        if (monitorId > 0)
        {
            // Made here: this node's armed slots follow it too, as the other nodes' do when they hear it.
            partitions?.Follow(monitorId);
        }
        try
        {
            await signals.NotifyAsync(Channel, JsonSerializer.Serialize(new Change(monitorId, slug, change, _node)), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change is stored; the other nodes pick it up when their listener reconnects or the monitor changes again.
            LogNotifyFailed(ex, slug ?? monitorId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!signals.Enabled)
        {
            return;
        }
        using var subscription = signals.Subscribe(Channel, payload =>
            {
                if (Parse(payload) is { } change && change.Node != _node)
                {
                    _changes.Writer.TryWrite(change);
                }
            },
            // Whatever was signalled while not listening (and between start and now) was not heard: re-read everything.
            () => _changes.Writer.TryWrite(new Change(0, null, "reloaded", "")));
        try
        {
            while (await _changes.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_changes.Reader.TryRead(out var change))
                {
                    try
                    {
                        await ApplyAsync(change, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogApplyFailed(ex, change.Slug ?? "every monitor");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ApplyAsync(Change change, CancellationToken cancellationToken)
    {
        // The same gate a local console change or config reload takes, so they apply one at a time.
        using (await gate.EnterAsync(cancellationToken))
        {
            await registry.LoadAsync(cancellationToken);
            await registry.RefreshStateAsync(change.MonitorId > 0 ? change.MonitorId : null, cancellationToken);
            await reconciler.ReconcileAsync(cancellationToken);
            // Slots this node armed already follow the change too (a paused or deleted monitor's do not run).
            if (change.MonitorId > 0)
            {
                partitions?.Follow(change.MonitorId);
            }
            LogApplied(change.Slug ?? "every monitor", change.Kind);
            live.PublishAdmin("monitors.changed", new MonitorsChanged(change.Slug, change.Kind));
        }
    }

    private static Change? Parse(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<Change>(payload);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The payload: which monitor (0: any), its slug, what happened (<c>created</c>, <c>updated</c>, <c>deleted</c>, <c>paused</c>, <c>resumed</c>), and the sending node.</summary>
    private sealed record Change(int MonitorId, string? Slug, string Kind, string Node);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} was {Change} on another node: definitions and schedule reloaded")]
    private partial void LogApplied(string monitor, string change);

    [LoggerMessage(LogLevel.Warning, "Could not tell the other nodes that {Monitor} changed")]
    private partial void LogNotifyFailed(Exception exception, string monitor);

    [LoggerMessage(LogLevel.Error, "Could not apply another node's change to {Monitor}")]
    private partial void LogApplyFailed(Exception exception, string monitor);
}
