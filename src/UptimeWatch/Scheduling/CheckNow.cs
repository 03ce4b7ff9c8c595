using System.Collections.Concurrent;
using Quartz;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;

namespace UptimeWatch.Scheduling;

/// <summary>
/// "Check now": fires the monitor's own job at once (so it never overlaps a scheduled check of the same monitor, and
/// is recorded exactly like one) and waits for what it found. Quartz carries only data to the job, so the request is
/// an id in the trigger's data and the waiter stays here; the job completes it once, when it ends.
/// </summary>
/// <remarks>
/// On a cluster (PostgreSQL) there is no job per monitor: the check runs on the node that runs the monitor's partition
/// now, in the monitor's turn there (<see cref="CheckNowRelay"/>), stored without a slot.
/// </remarks>
internal sealed class CheckNow(ISchedulerFactory schedulerFactory, CheckNowRelay? relay = null)
{
    public const string RequestKey = "checkNow";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<CheckNowOutcome>> _waiting = new(StringComparer.Ordinal);

    public async Task<CheckNowOutcome> RunAsync(int monitorId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (relay is not null)
        {
            return await relay.RunAsync(monitorId, cancellationToken).WaitAsync(deadline, cancellationToken)
                ?? throw new TimeoutException($"No monitor {monitorId} is active on this node");
        }
        var request = Guid.NewGuid().ToString("N");
        var done = new TaskCompletionSource<CheckNowOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[request] = done;
        try
        {
            var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
            await scheduler.TriggerJob(ScheduleReconciler.JobKeyFor(monitorId), new JobDataMap { [RequestKey] = request }, cancellationToken);
            // A scheduled check of this monitor may be running first; the deadline covers both.
            return await done.Task.WaitAsync(deadline, cancellationToken);
        }
        finally
        {
            _waiting.TryRemove(request, out _);
        }
    }

    /// <summary>Who waits for this run's outcome: null for a scheduled run (or when the asker has given up).</summary>
    public TaskCompletionSource<CheckNowOutcome>? WaiterFor(IJobExecutionContext context) =>
        context.MergedJobDataMap.TryGetString(RequestKey, out var request) && request is not null && _waiting.TryGetValue(request, out var done)
            ? done
            : null;
}

/// <summary>What a requested check found, and the state it left the monitor in.</summary>
internal sealed record CheckNowOutcome(DateTimeOffset At, ProbeResult Result, MonitorState State);
