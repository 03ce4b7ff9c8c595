using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Scheduling;

/// <summary>
/// One scheduled slot of one monitor: account for slots that could not run, check the target, apply the
/// rules, hand everything to the writer, and ask for an early re-check while a failure is being confirmed.
/// Quartz decides only when this runs.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class ProbeJob(
    MonitorRegistry registry,
    ProbeRunner probes,
    JournalWriter writer,
    CheckNow checkNow,
    CheckCutOff cutOff,
    Telemetry.UptimeWatchMetrics metrics,
    TimeProvider time,
    ILogger<ProbeJob> logger) : IJob
{
    public const string MonitorIdKey = "monitorId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        // "Check now": someone waits for this run. Answered here only, once the job is done with it.
        var asked = checkNow.WaiterFor(context);
        try
        {
            // Null: the monitor is gone (deleted meanwhile); the asker's deadline answers, as it always has.
            if (await CheckAsync(context, asked is not null, cancellationToken) is { } outcome)
            {
                asked?.TrySetResult(outcome);
            }
        }
        catch (OperationCanceledException ex) when (cutOff.Token.IsCancellationRequested)
        {
            // Cut short at shutdown: not a failure of the job, but no result either.
            asked?.TrySetException(ex);
        }
        catch (Exception ex)
        {
            asked?.TrySetException(ex);
            throw;
        }
    }

    /// <summary>Checks, records and stores; what it found, or null when there is no such monitor.</summary>
    /// <param name="awaited">Whether someone waits for the outcome: then it is answered once stored, not merely queued.</param>
    private async Task<CheckNowOutcome?> CheckAsync(IJobExecutionContext context, bool awaited, CancellationToken cancellationToken)
    {
        var monitorId = context.MergedJobDataMap.GetInt(MonitorIdKey);
        if (!registry.TryGet(monitorId, out var monitor))
        {
            return null;
        }

        var definition = monitor.Definition;
        var isPush = definition.Type == MonitorType.Push;
        var missed = new List<CheckRecord>();
        // A push monitor's slots only look at the heartbeat clock, which runs whether or not a slot ran: a late
        // slot loses nothing, so it is not a missed check.
        if (!isPush && context.Trigger.Key.Equals(ScheduleReconciler.TriggerKeyFor(monitorId)))
        {
            // After a misfire Quartz reports the missed occurrence as "scheduled"; the trigger knows the slot it fired.
            var slot = context.Trigger.PreviousFireTimeUtc ?? context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
            // A previous check that waited for room in the write queue held this job past the slots in between.
            var queueWasFull = writer.LastFullAt is { } full && full >= context.PreviousFireTimeUtc;
            missed.AddRange(MissedSlots.Between(context.PreviousFireTimeUtc, slot, TimeSpan.FromSeconds(definition.IntervalSeconds))
                .Select(at => MissedCheck(at, monitor.LastCheckFinishedAt, queueWasFull)));
        }

        // A heartbeat arriving now must not be overtaken by a "no heartbeat" decided a moment before it.
        using var turn = isPush ? await monitor.EnterAsync(cancellationToken) : null;
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
            await ScheduleReconciler.ScheduleRetryAsync(context.Scheduler, monitorId, until + DeadlineMargin, cancellationToken);
            return new CheckNowOutcome(startedAt, result, monitor.State);
        }
        // Record and queue in the monitor's turn, so a pause or resume is never stored before a check recorded ahead of it.
        using var recordTurn = isPush ? null : await monitor.EnterAsync(cancellationToken);
        var judgement = monitor.Record(result, startedAt, time.GetUtcNow());
        // Only checks that are recorded: a push monitor's look at an on-time heartbeat is not a check.
        metrics.CheckFinished(definition.Type, result.Verdict, result.ElapsedMs);
        if (isPush)
        {
            judgement = PushApi.WithDuration(judgement, null);
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
        if (judgement.State.State.Pending && definition.RetryIntervalSeconds is { } retry)
        {
            await ScheduleReconciler.ScheduleRetryAsync(context.Scheduler, monitorId, time.GetUtcNow().AddSeconds(retry), cancellationToken);
        }
        // Answered once the next look is scheduled too: what the caller does next (on a test's clock: move it) cannot
        // come before that look is armed, and so cannot move its time.
        return new CheckNowOutcome(startedAt, result, judgement.State.State);
    }

    /// <summary>Quartz may fire a trigger a few milliseconds early; a look that early would find the deadline not yet passed.</summary>
    private static readonly TimeSpan DeadlineMargin = TimeSpan.FromMilliseconds(100);

    private static CheckRecord MissedCheck(DateTimeOffset slot, DateTimeOffset? lastCheckFinishedAt, bool queueWasFull)
    {
        // A slot whose previous check ended after it was blocked by that check; otherwise the scheduler itself
        // was late (every probe slot busy, or the process was paused).
        var reason = lastCheckFinishedAt is { } finished && finished > slot
            ? "missed: the previous check was still running"
            : queueWasFull
                ? "missed: the write queue was full (the database was not accepting writes)"
                : "missed: the scheduler was late (all check slots busy or the process was paused)";
        return new CheckRecord(slot, CheckOutcome.Missed, null, null, reason) { Category = PublicReasons.Missed };
    }

    [LoggerMessage(LogLevel.Debug, "Checked {Monitor} {Url}: {Verdict} {Status} in {ElapsedMs} ms {Error}")]
    private partial void LogChecked(string monitor, string url, Verdict verdict, int? status, int elapsedMs, string? error);

    [LoggerMessage(LogLevel.Warning, "The check of {Monitor} was still running when the shutdown grace period ended: cut short, not recorded")]
    private partial void LogCutShort(string monitor);

    [LoggerMessage(LogLevel.Warning, "{Monitor} missed {Count} scheduled checks: {Reason}")]
    private partial void LogMissed(string monitor, int count, string reason);
}
