using System.Collections.Concurrent;
using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;

namespace UptimeWatch.Agents;

/// <summary>
/// The agent's schedule: the server's monitor list (<c>welcome</c>, <c>monitors</c>, or the copy in the buffer) turned
/// into one Quartz job and trigger per monitor, on the server's grid (<see cref="Partitions.SlotAtOrAfter"/> then every
/// interval), so a slot is the same instant on every location. Each monitor is validated with the server's own
/// <see cref="MonitorValidator"/>; one that does not validate is logged and skipped. Idempotent, as the server's
/// <see cref="ScheduleReconciler"/>: a monitor whose trigger already matches is left alone.
/// </summary>
internal sealed partial class AgentSchedule(ISchedulerFactory schedulerFactory, TimeProvider time, ILogger<AgentSchedule> logger)
{
    public const string Group = "agent-monitors";

    private readonly ConcurrentDictionary<int, MonitorDefinition> _definitions = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public static JobKey JobKeyFor(int monitorId) => new($"monitor-{monitorId}", Group);

    public static TriggerKey TriggerKeyFor(int monitorId) => new($"monitor-{monitorId}", Group);

    /// <summary>The definition a job checks, read when it fires so that an edit applies to the next slot.</summary>
    public bool TryGet(int monitorId, out MonitorDefinition definition) => _definitions.TryGetValue(monitorId, out definition!);

    /// <summary>The monitors scheduled now, by id.</summary>
    public IReadOnlyCollection<int> Scheduled => [.. _definitions.Keys];

    /// <summary>Makes the schedule match <paramref name="monitors"/>: new ones added, edited ones rescheduled, the rest stopped.</summary>
    public async Task ApplyAsync(IReadOnlyList<AgentMonitor> monitors, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var desired = new Dictionary<int, MonitorDefinition>();
            foreach (var monitor in monitors)
            {
                if (Validate(monitor) is { } definition)
                {
                    desired[monitor.Id] = definition;
                }
            }

            var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
            int added = 0, changed = 0, removed = 0;
            foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), cancellationToken))
            {
                var id = int.Parse(key.Name["monitor-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                if (!desired.ContainsKey(id))
                {
                    await scheduler.DeleteJob(key, cancellationToken);
                    _definitions.TryRemove(id, out _);
                    removed++;
                }
            }

            foreach (var (id, definition) in desired)
            {
                var interval = TimeSpan.FromSeconds(definition.IntervalSeconds);
                var threshold = ScheduleReconciler.MisfireThreshold(interval);
                var existed = _definitions.TryGetValue(id, out var before);
                _definitions[id] = definition;
                var current = await scheduler.GetTrigger(TriggerKeyFor(id), cancellationToken) as ISimpleTrigger;
                if (current is not null && current.RepeatInterval == interval && current.MisfireThreshold == threshold)
                {
                    if (existed && !SameFields(before!, definition))
                    {
                        changed++;
                    }
                    continue;
                }

                var job = JobBuilder.Create<AgentProbeJob>()
                    .WithIdentity(JobKeyFor(id))
                    .UsingJobData(AgentProbeJob.MonitorIdKey, id)
                    .Build();
                await scheduler.ScheduleJob(job, Trigger(id, interval), new ScheduleJobOptions { Replace = true }, cancellationToken);
                if (current is null)
                {
                    added++;
                }
                else
                {
                    changed++;
                }
            }
            LogApplied(desired.Count, monitors.Count - desired.Count, added, changed, removed);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Puts a monitor's trigger back on the grid, when a firing shows it is not (see <see cref="Trigger"/>); the
    /// firing itself is not recorded.
    /// </summary>
    public async Task RealignAsync(IScheduler scheduler, int monitorId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_definitions.TryGetValue(monitorId, out var definition))
            {
                await scheduler.RescheduleJob(TriggerKeyFor(monitorId), Trigger(monitorId, TimeSpan.FromSeconds(definition.IntervalSeconds)),
                    cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The monitor's trigger: from a slot of the server's grid, every interval, so that every fire time is a slot of the
    /// grid in whole milliseconds. On the injected clock, as the server's triggers are. The first slot is taken a moment
    /// ahead: Quartz 4.7 moves a start already past when the trigger is stored to "now", off the grid.
    /// </summary>
    private ITrigger Trigger(int monitorId, TimeSpan interval) =>
        TriggerBuilder.Create(time)
            .WithIdentity(TriggerKeyFor(monitorId))
            .ForJob(JobKeyFor(monitorId))
            .StartAt(Partitions.SlotAtOrAfter(monitorId, interval, time.GetUtcNow() + StartMargin))
            .WithMisfireThreshold(ScheduleReconciler.MisfireThreshold(interval))
            .WithSimpleSchedule(s => s
                .WithInterval(interval)
                .RepeatForever()
                // A slot missed by more than the threshold is skipped, not caught up in a burst.
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
            .Build();

    /// <summary>How far ahead of the clock the first slot is looked for: more than storing a trigger ever takes.</summary>
    public static readonly TimeSpan StartMargin = TimeSpan.FromSeconds(1);

    private MonitorDefinition? Validate(AgentMonitor monitor)
    {
        var errors = new List<FieldError>();
        var definition = MonitorValidator.Validate(monitor.Fields ?? new Dictionary<string, string?>(), errors);
        if (definition is null)
        {
            LogInvalid(monitor.Id, monitor.Slug, string.Join("; ", errors));
            return null;
        }
        if (definition.Type == MonitorType.Push)
        {
            // A heartbeat comes to the server: there is nothing to check from here (the server should not send these).
            LogPush(monitor.Id, monitor.Slug);
            return null;
        }
        return definition;
    }

    private static bool SameFields(MonitorDefinition a, MonitorDefinition b) =>
        a.Fields.Count == b.Fields.Count && a.Fields.All(f => b.Fields.TryGetValue(f.Key, out var v) && v == f.Value);

    [LoggerMessage(LogLevel.Information, "Checking {Count} monitor(s) from this location ({Skipped} skipped): {Added} added, {Changed} changed, {Removed} removed")]
    private partial void LogApplied(int count, int skipped, int added, int changed, int removed);

    [LoggerMessage(LogLevel.Warning, "Monitor {MonitorId} ({Slug}) is skipped: its fields do not validate here: {Errors}")]
    private partial void LogInvalid(int monitorId, string slug, string errors);

    [LoggerMessage(LogLevel.Warning, "Monitor {MonitorId} ({Slug}) is skipped: push monitors are not checked by agents")]
    private partial void LogPush(int monitorId, string slug);
}

/// <summary>
/// One slot of one monitor, checked from the agent: the probe runs with its own deadline, and the result goes to the
/// buffer tagged with the slot it fills (the trigger's scheduled fire time, a value of the server's grid) and
/// <c>at</c>, when it started. One check of a monitor at a time.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class AgentProbeJob(AgentSchedule schedule, ProbeRunner probes, Canaries canaries, AgentBuffer buffer, TimeProvider time,
    ILogger<AgentProbeJob> logger) : IJob
{
    public const string MonitorIdKey = "monitorId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var monitorId = context.MergedJobDataMap.GetInt(MonitorIdKey);
        if (!schedule.TryGet(monitorId, out var definition))
        {
            return;
        }
        // After a misfire Quartz reports the skipped occurrence as "scheduled"; the trigger knows the slot it fired.
        var slot = context.Trigger.PreviousFireTimeUtc ?? context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var interval = TimeSpan.FromSeconds(definition.IntervalSeconds);
        if (Partitions.SlotAtOrAfter(monitorId, interval, slot) != slot)
        {
            // Never sent (the server refuses a slot off its grid); the trigger is put back on the grid for the next one.
            LogOffGrid(monitorId, slot.ToString("O"), context.Trigger.StartTimeUtc.ToString("O"));
            await schedule.RealignAsync(context.Scheduler, monitorId, cancellationToken);
            return;
        }
        var at = time.GetUtcNow();
        if (at - slot > ScheduleReconciler.MisfireThreshold(interval))
        {
            // Quartz fires a trigger it had already taken however late (the process was paused, the machine asleep):
            // a slot this late is skipped like one Quartz skips itself, so a wake-up never runs a burst of old slots.
            LogLate(monitorId, slot, (long)(at - slot).TotalMilliseconds);
            return;
        }
        var result = await probes.CheckAsync(definition, cancellationToken);
        if (result.NothingNewUntil is not null)
        {
            return;
        }
        // Is it me? As on the server: what the agent sees while its own canaries fail is held, not counted.
        var cutOff = await canaries.HoldsAsync(result.Verdict, at, time.GetUtcNow(), cancellationToken);
        var check = new AgentCheck(monitorId, slot, at, result.Verdict, result.ElapsedMs, result.HttpStatus, result.Failure,
            result.Error, result.Timings, result.CertificateDaysLeft, cutOff);
        // Not the job's token: a check that has been made is kept even when shutdown begins.
        await buffer.AddAsync(check, CancellationToken.None);
    }

    [LoggerMessage(LogLevel.Warning, "Monitor {MonitorId}: slot {Slot} skipped, the scheduler was {LateMs} ms late")]
    private partial void LogLate(int monitorId, DateTimeOffset slot, long lateMs);

    [LoggerMessage(LogLevel.Warning, "Monitor {MonitorId} fired for {Slot}, which is not a slot of its grid (trigger start {Start}): not recorded, and put back on the grid")]
    private partial void LogOffGrid(int monitorId, string slot, string start);
}
