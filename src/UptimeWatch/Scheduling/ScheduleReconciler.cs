using Quartz;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// Turns the active monitors into Quartz jobs and triggers. Idempotent: a monitor whose trigger already
/// matches is left alone, so running it again changes nothing (and, clustered later, any node may run it).
/// </summary>
internal sealed partial class ScheduleReconciler(
    ISchedulerFactory schedulerFactory,
    MonitorRegistry registry,
    TimeProvider time,
    SchedulingMode mode,
    ILogger<ScheduleReconciler> logger) : IHostedService
{
    public const string Group = "monitors";

    public Task StartAsync(CancellationToken cancellationToken) => ReconcileAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static JobKey JobKeyFor(int monitorId) => new($"monitor-{monitorId}", Group);

    /// <summary>The repeating trigger of a monitor; its one-off re-checks have other keys.</summary>
    public static TriggerKey TriggerKeyFor(int monitorId) => new($"monitor-{monitorId}", Group);

    /// <summary>
    /// One early re-check to confirm a failure (<c>RetryIntervalSeconds</c>). It replaces any re-check already
    /// waiting, and, the job being non-concurrent, never overlaps a regular check.
    /// </summary>
    /// <param name="time">The clock Quartz runs on: a trigger computes its own fire times, on the clock it was built with.</param>
    public static async Task ScheduleRetryAsync(IScheduler scheduler, TimeProvider time, int monitorId, DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        var trigger = TriggerBuilder.Create(time)
            .WithIdentity($"monitor-{monitorId}-retry", Group)
            .ForJob(JobKeyFor(monitorId))
            .StartAt(at)
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
    }

    /// <summary>Makes the scheduler match the registry; returns how many jobs were added, changed and removed.</summary>
    public async Task<(int Added, int Changed, int Removed)> ReconcileAsync(CancellationToken cancellationToken)
    {
        if (mode.Cluster)
        {
            // A cluster has no trigger per monitor: each partition window reads the monitors it covers (PartitionRunner).
            return (0, 0, 0);
        }
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        var desired = registry.CheckedHere
            .Where(m => m.State.Status != MonitorStatus.Paused)
            .ToDictionary(m => JobKeyFor(m.Id));
        int added = 0, changed = 0, removed = 0;

        foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), cancellationToken))
        {
            if (!desired.ContainsKey(key))
            {
                await scheduler.DeleteJob(key, cancellationToken);
                removed++;
            }
        }

        // Which monitors have a trigger already: one query, not one per monitor (a start has none; a reload most).
        var existing = (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(Group), cancellationToken)).ToHashSet();
        foreach (var (key, monitor) in desired)
        {
            // Read for each monitor: scheduling 10,000 jobs takes a second or two, and a first slot computed from a
            // clock read before the loop could already be behind when its trigger is stored.
            var now = time.GetUtcNow();
            var interval = TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds);
            var threshold = MisfireThreshold(interval);
            var triggerKey = TriggerKeyFor(monitor.Id);
            var hadTrigger = existing.Contains(triggerKey);
            if (hadTrigger && await scheduler.GetTrigger(triggerKey, cancellationToken) is ISimpleTrigger current
                && current.RepeatInterval == interval && current.MisfireThreshold == threshold)
            {
                continue;
            }

            var job = JobBuilder.Create<ProbeJob>()
                .WithIdentity(key)
                .UsingJobData(ProbeJob.MonitorIdKey, monitor.Id)
                .Build();
            // On the scheduler's clock: a trigger left on the machine's would judge a misfire by one clock and the slot
            // after it by the other (on a clock far from the machine's, back to its first slot, again and again).
            var trigger = TriggerBuilder.Create(time)
                .WithIdentity(triggerKey)
                .ForJob(key)
                .StartAt(FirstSlot(monitor.Id, interval, now))
                .WithMisfireThreshold(threshold)
                .WithSimpleSchedule(s => s
                    .WithInterval(interval)
                    .RepeatForever()
                    // A slot missed by more than the threshold is skipped, not caught up in a burst; the job
                    // records it as a missed check when the next slot runs.
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
                .Build();
            await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions { Replace = true }, cancellationToken);
            if (monitor.State.Pending && monitor.Definition.RetryIntervalSeconds is { } retry)
            {
                // A failure was being confirmed when the process stopped: confirm it as soon as it would have been.
                await ScheduleRetryAsync(scheduler, time, monitor.Id, now.AddSeconds(retry), cancellationToken);
            }
            if (hadTrigger)
            {
                changed++;
            }
            else
            {
                added++;
            }
        }

        if (added + changed + removed > 0)
        {
            LogReconciled(desired.Count, added, changed, removed);
        }
        return (added, changed, removed);
    }

    /// <summary>
    /// How late a check may start before its slot counts as missed: half the interval, at most 5 s. Later than
    /// that, running it would crowd the next slot.
    /// </summary>
    public static TimeSpan MisfireThreshold(TimeSpan interval) =>
        TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds / 2, 5_000));

    /// <summary>
    /// Each monitor gets a fixed phase within its interval, derived from its id, so first checks are spread over
    /// the interval instead of all firing at start-up, and the cadence stays the same across restarts.
    /// </summary>
    public static DateTimeOffset FirstSlot(int monitorId, TimeSpan interval, DateTimeOffset now)
    {
        var intervalMs = (long)interval.TotalMilliseconds;
        var phase = (long)((uint)monitorId * 2654435761u % (ulong)intervalMs);
        var offset = ((phase - now.ToUnixTimeMilliseconds() % intervalMs) % intervalMs + intervalMs) % intervalMs;
        return now.AddMilliseconds(offset);
    }

    [LoggerMessage(LogLevel.Information, "Scheduled {Count} monitors: {Added} added, {Changed} changed, {Removed} removed")]
    private partial void LogReconciled(int count, int added, int changed, int removed);
}
