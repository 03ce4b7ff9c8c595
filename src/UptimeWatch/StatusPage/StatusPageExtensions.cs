using Quartz;

namespace UptimeWatch.StatusPage;

internal static class StatusPageExtensions
{
    /// <summary>The rollup and prune job behind the status page's history, and the page's cache of it.</summary>
    public static IHostApplicationBuilder AddStatusPage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PageHistoryCache>();
        builder.Services.AddSingleton<StatusUptimeCache>();
        builder.Services.AddSingleton<RollupService>();
        builder.Services.ConfigureAllQuartzSchedulers(quartz => quartz.ScheduleJob<RollupJob>(
            // Quartz reads the container's TimeProvider too, so the start is on the same clock it fires by.
            (services, trigger) => trigger
                .WithIdentity(new TriggerKey(RollupJob.Key.Name, RollupJob.Key.Group))
                .StartAt(services.GetRequiredService<TimeProvider>().GetUtcNow() + RollupJob.StartDelay)
                .WithSimpleSchedule(s => s.WithInterval(RollupJob.Interval).RepeatForever()),
            (_, job) => job.WithIdentity(RollupJob.Key)));
        return builder;
    }

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder app) => app.MapStatusApi().MapPageApi().MapBadgeApi();
}
