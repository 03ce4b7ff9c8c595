using Quartz;

namespace UptimeWatch.Scheduling;

/// <summary>
/// One firing of one partition on a cluster: hands the partition's slots of the window [scheduled fire time, + Window)
/// to this node's <see cref="PartitionRunner"/>, which runs them on its own clock. Quartz's clustered store decides which
/// node fires which window, and recovers a firing whose node died before handing off.
/// </summary>
/// <remarks>
/// Deliberately not <c>[DisallowConcurrentExecution]</c>: Quartz 4.7 holds back the recovery of a non-concurrent job that
/// was executing on a dead node for two more failure-detection cycles (and keeps its trigger blocked meanwhile), which
/// would break the takeover bound (2 × check-in + one interval). Two firings of one partition cannot overlap in what they
/// run anyway: each is one fire time of the one trigger, a window is handed off in milliseconds, and a recovered firing of
/// a window already over runs nothing (<see cref="PartitionRunner.HandOffWindowAsync"/>).
/// </remarks>
internal sealed class PartitionJob(PartitionRunner runner) : IJob
{
    public const string Group = "partitions";
    public const string PartitionKey = "partition";

    public static JobKey JobKeyFor(int partition) => new($"partition-{partition}", Group);

    public static TriggerKey TriggerKeyFor(int partition) => new($"partition-{partition}", Group);

    /// <summary>The partition a trigger name of <see cref="TriggerKeyFor"/> is for, or null for any other name.</summary>
    public static int? PartitionOf(string triggerName) =>
        triggerName.StartsWith("partition-", StringComparison.Ordinal) && int.TryParse(triggerName.AsSpan("partition-".Length), out var partition)
            ? partition
            : null;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var partition = context.MergedJobDataMap.GetInt(PartitionKey);
        // A recovered firing (its node died) is scheduled at the original firing's time: the same window.
        var start = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await runner.HandOffWindowAsync(partition, start, start + Partitions.Window, cancellationToken);
    }
}
