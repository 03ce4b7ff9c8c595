using Quartz;

namespace UptimeWatch.Scheduling;

/// <summary>
/// Makes sure the cluster's job store holds the <see cref="Partitions.Count"/> partition jobs and their triggers. Every
/// node does it at start, at once: what exists is left alone (never replaced, which would reset a trigger another node
/// is about to fire), and a node that loses the race to create one takes the other's.
/// </summary>
internal sealed partial class PartitionScheduler(ISchedulerFactory schedulerFactory, TimeProvider time, ILogger<PartitionScheduler> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        var missing = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>();
        for (var partition = 0; partition < Partitions.Count; partition++)
        {
            if (!await scheduler.Exists(PartitionJob.TriggerKeyFor(partition), cancellationToken))
            {
                var (job, trigger) = Build(partition);
                missing[job] = [trigger];
            }
        }
        if (missing.Count == 0)
        {
            return;
        }
        var created = 0;
        var keep = new ScheduleJobOptions { Replace = false };
        try
        {
            // One transaction for all (a first start creates 64): far fewer round trips and commits than one by one.
            await scheduler.ScheduleJobs(missing, keep, cancellationToken);
            created = missing.Count;
        }
        catch (ObjectAlreadyExistsException)
        {
            // Another node created some of them meanwhile (nothing of this batch was stored): theirs stand, add the rest.
            foreach (var (job, triggers) in missing)
            {
                try
                {
                    await scheduler.ScheduleJob(job, triggers, keep, cancellationToken);
                    created++;
                }
                catch (ObjectAlreadyExistsException)
                {
                    // Another node created it a moment ago: that one is the cluster's.
                }
            }
        }
        if (created > 0)
        {
            LogCreated(created, Partitions.Count);
        }
    }

    private (IJobDetail Job, ITrigger Trigger) Build(int partition)
    {
        var jobKey = PartitionJob.JobKeyFor(partition);
        var job = JobBuilder.Create<PartitionJob>()
            .WithIdentity(jobKey)
            .UsingJobData(PartitionJob.PartitionKey, partition)
            .StoreDurably()
            // A node killed while handing a window off: another node runs that window again once the cluster has
            // declared the node dead; whatever was stored meanwhile is skipped.
            .RequestRecovery()
            .Build();
        // On the scheduler's clock, as every trigger (ScheduleReconciler).
        var trigger = TriggerBuilder.Create(time)
            .WithIdentity(PartitionJob.TriggerKeyFor(partition))
            .ForJob(jobKey)
            .StartAt(Partitions.FirstFire(partition, time.GetUtcNow()))
            .WithSimpleSchedule(s => s
                .WithInterval(Partitions.Window)
                .RepeatForever()
                // Late (held by a node that died until the cluster declared it dead): fire at once, not at the next
                // window, and not once per window missed; that firing finds the slots nobody stored and records them missed.
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount))
            .Build();
        return (job, trigger);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Created {Created} of the cluster's {Count} partition jobs (the others existed)")]
    private partial void LogCreated(int created, int count);
}
