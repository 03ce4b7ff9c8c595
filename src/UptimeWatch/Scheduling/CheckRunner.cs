using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;

namespace UptimeWatch.Scheduling;

/// <summary>
/// One check of one monitor, whoever decided it is due (a Quartz trigger of <see cref="ProbeJob"/> on one node, a
/// partition window of <see cref="PartitionRunner"/> in a cluster): check the target, apply the rules, hand the result
/// and the slots found missed to the writer. What to do next (a confirmation re-check, a look at a push deadline) is
/// returned, since each scheduler arms it its own way.
/// </summary>
internal sealed partial class CheckRunner(
    ProbeRunner probes,
    Canaries canaries,
    JournalWriter writer,
    CheckCutOff cutOff,
    ClusterTurns clusterTurns,
    Telemetry.UptimeWatchMetrics metrics,
    TimeProvider time,
    ILogger<CheckRunner> logger)
{
    /// <summary>The writer's last "queue full" moment: tells a missed slot's reason.</summary>
    public DateTimeOffset? WriteQueueLastFullAt => writer.LastFullAt;

    /// <summary>Checks, records and stores <paramref name="monitor"/>.</summary>
    /// <param name="missed">Slots before this one that could not run, stored in the same write.</param>
    /// <param name="awaited">Whether someone waits for the outcome: then it is answered once stored, not merely queued.</param>
    /// <param name="stamp">On a cluster: the slot this check fills and the node running it; null otherwise.</param>
    public async Task<CheckRun> RunAsync(MonitorRuntime monitor, IReadOnlyList<CheckRecord> missed, bool awaited, SlotStamp? stamp,
        CancellationToken cancellationToken)
    {
        var definition = monitor.Definition;
        var isPush = definition.Type == MonitorType.Push;
        // A heartbeat arriving now must not be overtaken by a "no heartbeat" decided a moment before it.
        using var turn = isPush ? await monitor.EnterAsync(cancellationToken) : null;
        // On a cluster, also with heartbeats that other nodes receive: judged on what the database has, stored before the turn ends.
        await using var clusterTurn = isPush ? await clusterTurns.EnterAsync(monitor, cancellationToken) : null;
        awaited |= clusterTurn is not null;
        var startedAt = time.GetUtcNow();
        ProbeResult result;
        using (var probeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cutOff.Token))
        {
            try
            {
                result = await probes.CheckAsync(definition, probeCancel.Token);
            }
            catch (OperationCanceledException) when (cutOff.Token.IsCancellationRequested)
            {
                // Not an error and not a result: the process is going away.
                LogCutShort(definition.Slug);
                throw;
            }
        }
        if (result.NothingNewUntil is { } until)
        {
            // Nothing to record (a heartbeat on time). Look again right at the deadline rather than at the next slot,
            // which for a nightly job could be most of a day later; each look moves this one-off check, never adds one.
            return new CheckRun(new CheckNowOutcome(startedAt, result, monitor.State), until + DeadlineMargin, null);
        }
        // Is it me? A failure is held, not counted, when this server's canaries fail too; so is anything else seen while
        // they do: nothing seen from a cut-off network counts.
        var held = await canaries.HoldsAsync(result.Verdict, startedAt, time.GetUtcNow(), cancellationToken);
        // Record and queue in the monitor's turn, so a pause or resume is never stored before a check recorded ahead of it.
        using var recordTurn = isPush ? null : await monitor.EnterAsync(cancellationToken);
        // On a cluster, a monitor judged by quorum is judged with every location's votes, whichever node they reached.
        await using var quorumTurn = !isPush && monitor.ByQuorum ? await clusterTurns.EnterAsync(monitor, cancellationToken) : null;
        awaited |= quorumTurn is not null;
        var judgement = monitor.Record(result, startedAt, time.GetUtcNow(), held);
        // Only checks that are recorded: a push monitor's look at an on-time heartbeat is not a check.
        metrics.CheckFinished(definition.Type, result.Verdict, result.ElapsedMs);
        if (isPush)
        {
            judgement = PushApi.WithDuration(judgement, null);
        }
        if (stamp is { } slot)
        {
            judgement = judgement with { Checks = [.. judgement.Checks.Select(c => c with { Slot = slot.Slot, Node = slot.Node })] };
        }
        if (missed.Count > 0)
        {
            LogMissed(definition.Slug, missed.Count, missed[0].Error!);
            judgement = judgement with { Checks = [.. missed, .. judgement.Checks] };
        }

        LogChecked(definition.Slug, definition.Target, result.Verdict, result.HttpStatus, result.ElapsedMs, result.Error);
        var write = CheckWrite.From(judgement);
        if (awaited)
        {
            // Whoever asked reads the monitor next: answer once the check is stored, not merely queued.
            var stored = await writer.AppendAwaitedAsync(write, cancellationToken);
            recordTurn?.Dispose();
            await stored.WaitAsync(cancellationToken);
        }
        else
        {
            await writer.AppendAsync(write, cancellationToken);
        }
        var retryAt = judgement.State.State.Pending && definition.RetryIntervalSeconds is { } retry ? time.GetUtcNow().AddSeconds(retry) : (DateTimeOffset?)null;
        return new CheckRun(new CheckNowOutcome(startedAt, result, judgement.State.State), null, retryAt);
    }

    /// <summary>Quartz may fire a trigger a few milliseconds early; a look that early would find the deadline not yet passed.</summary>
    private static readonly TimeSpan DeadlineMargin = TimeSpan.FromMilliseconds(100);

    [LoggerMessage(LogLevel.Debug, "Checked {Monitor} {Url}: {Verdict} {Status} in {ElapsedMs} ms {Error}")]
    private partial void LogChecked(string monitor, string url, Verdict verdict, int? status, int elapsedMs, string? error);

    [LoggerMessage(LogLevel.Warning, "The check of {Monitor} was still running when the shutdown grace period ended: cut short, not recorded")]
    private partial void LogCutShort(string monitor);

    [LoggerMessage(LogLevel.Warning, "{Monitor} missed {Count} scheduled checks: {Reason}")]
    private partial void LogMissed(string monitor, int count, string reason);
}

/// <summary>On a cluster, the slot a check fills (none for a check now) and the node that runs it (stored with the check, unique per monitor and slot).</summary>
internal readonly record struct SlotStamp(DateTimeOffset? Slot, string Node);

/// <summary>
/// What one check found, and what its scheduler arms next: a look at a push deadline (<paramref name="LookAgainAt"/>, when
/// nothing was recorded) or a confirmation re-check (<paramref name="RetryAt"/>, while a failure is pending).
/// </summary>
internal sealed record CheckRun(CheckNowOutcome Outcome, DateTimeOffset? LookAgainAt, DateTimeOffset? RetryAt);
