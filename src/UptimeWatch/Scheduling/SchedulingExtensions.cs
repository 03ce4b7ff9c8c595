using Microsoft.Extensions.Options;
using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;

namespace UptimeWatch.Scheduling;

internal static class SchedulingExtensions
{
    public static IHostApplicationBuilder AddScheduling(this IHostApplicationBuilder builder)
    {
        // First of the scheduling services: the monitor rows are in sync with the configuration before the
        // scheduler and the reconciler start (hosted services start in the order they are added).
        builder.Services.AddSingleton<ConfigMonitorSync>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfigMonitorSync>());
        builder.Services.AddQuartz(quartz =>
        {
            quartz.UseInMemoryStore(store => store.MisfireThreshold = TimeSpan.FromSeconds(5));
            quartz.UseDefaultThreadPool(_ => { });
            // Running checks finish on their own deadline, bounded by CheckCutOff; interrupting them would only lose results.
            quartz.ConfigureScheduler(s => s.ShutdownJobInterruption = ShutdownJobInterruption.Never);
        });
        builder.Services.AddOptions<ThreadPoolOptions>()
            .Configure<IOptions<UptimeWatchOptions>>((pool, options) => pool.MaxConcurrency = options.Value.Scheduler.MaxConcurrency);
        builder.Services.AddQuartzHostedService(hosted =>
        {
            hosted.WaitForJobsToComplete = true;
            hosted.AwaitApplicationStarted = true;
        });
        builder.Services.AddSingleton<ScheduleReconciler>();
        builder.Services.AddSingleton<CheckNow>();
        builder.Services.AddSingleton<CheckCutOff>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ScheduleReconciler>());
        // A cluster's console changes made on other nodes (PostgreSQL only).
        builder.Services.AddSingleton<MonitorChangeSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MonitorChangeSignal>());
        // After the first reconcile, so a reload never races the start-up sync.
        builder.Services.AddSingleton<ConfigReloader>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfigReloader>());
        return builder;
    }
}
