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
internal sealed class ProbeJob(
    MonitorRegistry registry,
    CheckRunner checks,
    CheckNow checkNow,
    CheckCutOff cutOff,
    TimeProvider time) : IJob
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
        var missed = new List<CheckRecord>();
        // A push monitor's slots only look at the heartbeat clock, which runs whether or not a slot ran: a late
        // slot loses nothing, so it is not a missed check.
        if (definition.Type != MonitorType.Push && context.Trigger.Key.Equals(ScheduleReconciler.TriggerKeyFor(monitorId)))
        {
            // After a misfire Quartz reports the missed occurrence as "scheduled"; the trigger knows the slot it fired.
            var slot = context.Trigger.PreviousFireTimeUtc ?? context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
            // A previous check that waited for room in the write queue held this job past the slots in between.
            var queueWasFull = checks.WriteQueueLastFullAt is { } full && full >= context.PreviousFireTimeUtc;
            missed.AddRange(MissedSlots.Between(context.PreviousFireTimeUtc, slot, TimeSpan.FromSeconds(definition.IntervalSeconds))
                .Select(at => MissedCheck(at, monitor.LastCheck, queueWasFull)));
        }

        var run = await checks.RunAsync(monitor, missed, awaited, null, cancellationToken);
        if (run.LookAgainAt is { } lookAt)
        {
            await ScheduleReconciler.ScheduleRetryAsync(context.Scheduler, time, monitorId, lookAt, cancellationToken);
        }
        if (run.RetryAt is { } retryAt)
        {
            await ScheduleReconciler.ScheduleRetryAsync(context.Scheduler, time, monitorId, retryAt, cancellationToken);
        }
        // Answered once the next look is scheduled too: what the caller does next (on a test's clock: move it) cannot
        // come before that look is armed, and so cannot move its time.
        return run.Outcome;
    }

    public static CheckRecord MissedCheck(DateTimeOffset slot, (DateTimeOffset StartedAt, DateTimeOffset FinishedAt)? lastCheck, bool queueWasFull)
    {
        // A slot the previous check was running through was blocked by it; otherwise the scheduler itself was late
        // (every probe slot busy, or the process paused or the machine asleep: then the check that ran first after
        // waking ended after the slot too, but started after it, and blocked nothing).
        var reason = lastCheck is { } last && last.StartedAt <= slot && last.FinishedAt > slot
            ? "missed: the previous check was still running"
            : queueWasFull
                ? "missed: the write queue was full (the database was not accepting writes)"
                : "missed: the scheduler was late (all check slots busy or the process was paused)";
        return new CheckRecord(slot, CheckOutcome.Missed, null, null, reason) { Category = PublicReasons.Missed };
    }
}
