using Quartz;

namespace UptimeWatch.StatusPage;

/// <summary>
/// Runs <see cref="RollupService"/> on a schedule: shortly after start-up (so the page has fresh aggregates
/// after downtime) and then every few minutes. Never two at once; a run that fails is simply redone by the next.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class RollupJob(RollupService rollups) : IJob
{
    public static readonly JobKey Key = new("rollup", "maintenance");

    /// <summary>How fresh the page's aggregates are: the current hour is recomputed this often.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>Lets start-up (migrations, first checks) settle before the first run.</summary>
    public static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(15);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await rollups.RunAsync(cancellationToken);
}
