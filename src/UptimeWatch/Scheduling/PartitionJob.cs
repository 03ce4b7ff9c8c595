using Quartz;

namespace UptimeWatch.Scheduling;

/// <summary>
/// One firing of one partition on a cluster: hands the partition's slots of the window [scheduled fire time, + Window)
/// to this node's <see cref="PartitionRunner"/>, which runs them on its own clock. Quartz's clustered store decides which
/// node fires which window, never two at once (non-concurrent), and recovers a firing whose node died before handing off.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class PartitionJob(PartitionRunner runner) : IJob
{
    public const string Group = "partitions";
    public const string PartitionKey = "partition";

    public static JobKey JobKeyFor(int partition) => new($"partition-{partition}", Group);

    public static TriggerKey TriggerKeyFor(int partition) => new($"partition-{partition}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var partition = context.MergedJobDataMap.GetInt(PartitionKey);
        // A recovered firing (its node died) is scheduled at the original firing's time: the same window.
        var start = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await runner.HandOffWindowAsync(partition, start, start + Partitions.Window, cancellationToken);
    }
}
