using Microsoft.Extensions.Options;
using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;

namespace UptimeWatch.Scheduling;

internal static class SchedulingExtensions
{
    /// <summary>Quartz's scheduler name on a cluster, the same on every node (its rows in the qrtz_ tables carry it).</summary>
    public const string ClusterSchedulerName = "uptimewatch";

    /// <summary>Quartz's threads on a cluster: partition firings only hand their window off, so a few are plenty.</summary>
    private const int ClusterQuartzThreads = 16;

    /// <summary>How many partition triggers a node acquires and fires in one go (see the batch window where it is set).</summary>
    private const int ClusterTriggerBatch = 8;

    public static IHostApplicationBuilder AddScheduling(this IHostApplicationBuilder builder)
    {
        // First of the scheduling services: the monitor rows are in sync with the configuration before the
        // scheduler and the reconciler start (hosted services start in the order they are added).
        builder.Services.AddSingleton<ConfigMonitorSync>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfigMonitorSync>());
        // The store is chosen before the options are built; start-up's validation reports a bad value with every other error.
        // The monitors are not read here: the options read them once (2.3 s of a 10,000-monitor start were this second read).
        var settings = UptimeWatchConfigReader.Read(builder.Configuration, monitors: false);
        var cluster = settings.Storage.IsPostgres && settings.Storage.ConnectionString is not null;
        builder.Services.AddQuartz(quartz =>
        {
            if (cluster)
            {
                // One scheduler per cluster: the same name on every node, each node its own id. Its tables come from our
                // PostgreSQL migrations (Quartz is never asked to create them).
                quartz.ConfigureScheduler(s =>
                {
                    s.InstanceName = ClusterSchedulerName;
                    s.InstanceId = settings.Scheduler.NodeId;
                    // The partition triggers fall due every Window / Count (78 ms). Taken one at a time, each firing was its
                    // own acquisition and its own "fired" transaction on the store: the cluster's fixed cost whatever the
                    // monitor count. A node takes the ones due within the next half second together, one transaction each
                    // for up to eight. A firing taken early covers its own window all the same (PartitionJob uses the
                    // scheduled time), and a node that dies holding them is found dead no later than one holding one.
                    s.MaxBatchSize = ClusterTriggerBatch;
                    s.BatchTriggerAcquisitionFireAheadTimeWindow = TimeSpan.FromMilliseconds(500);
                });
                quartz.UsePersistentStore(store =>
                {
                    store.UsePostgres(settings.Storage.ConnectionString!);
                    store.UseClustering(c =>
                    {
                        // Twice per check-in interval: Quartz finds a dead node only at a live node's own check-in, so with
                        // one check-in per interval detection alone could take 2 intervals + the threshold, and the takeover
                        // rule (2 × check-in + one check interval) was missed by about a second on a loaded machine.
                        c.CheckinInterval = TimeSpan.FromSeconds(settings.Scheduler.ClusterCheckinSeconds) / 2;
                        // How late past its check-in a node is declared dead. Quartz's default (7.5 s) would add more than
                        // another check-in to every takeover; a node declared dead wrongly (a long pause) costs at most a
                        // window run twice, which the unique slot key makes harmless.
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(1);
                    });
                    store.UseSystemTextJsonSerializer();
                    store.ConfigureStore(o =>
                    {
                        // A partition trigger late by more than this (held by a node until it was declared dead) fires at
                        // once; the misfire handler looks for such triggers every second, not every threshold.
                        o.MisfireThreshold = TimeSpan.FromSeconds(2);
                        o.MisfireHandlerFrequency = TimeSpan.FromSeconds(1);
                        // After the database was unreachable, firings resume within a second of its return (default 15 s);
                        // meanwhile the nodes run their partitions from memory (PartitionRunner.CarryOnAsync).
                        o.DbRetryInterval = TimeSpan.FromSeconds(1);
                    });
                });
            }
            else
            {
                quartz.UseInMemoryStore(store => store.MisfireThreshold = TimeSpan.FromSeconds(5));
            }
            quartz.UseDefaultThreadPool(_ => { });
            // Running checks finish on their own deadline, bounded by CheckCutOff; interrupting them would only lose results.
            quartz.ConfigureScheduler(s => s.ShutdownJobInterruption = ShutdownJobInterruption.Never);
        });
        // On a cluster the checks run on the partition runner's clock, not on Quartz's threads: these only hand windows off.
        builder.Services.AddOptions<ThreadPoolOptions>()
            .Configure<IOptions<UptimeWatchOptions>>((pool, options) => pool.MaxConcurrency = cluster
                ? ClusterQuartzThreads
                : options.Value.Scheduler.MaxConcurrency);
        builder.Services.AddQuartzHostedService(hosted =>
        {
            hosted.WaitForJobsToComplete = true;
            hosted.AwaitApplicationStarted = true;
        });
        if (cluster)
        {
            // The rollup's job and trigger are stored once per cluster: a node that starts later keeps the stored trigger
            // instead of replacing it (a replaced trigger would start again from that node's start, one extra run per start).
            builder.Services.Configure<QuartzOptions>(quartz =>
            {
                quartz.Scheduling.OverwriteExistingData = false;
                quartz.Scheduling.IgnoreDuplicates = true;
            });
        }
        builder.Services.AddSingleton(new SchedulingMode(cluster));
        builder.Services.AddSingleton<ScheduleReconciler>();
        builder.Services.AddSingleton<CheckNow>();
        builder.Services.AddSingleton<CheckCutOff>();
        builder.Services.AddSingleton<ClusterTurns>();
        builder.Services.AddSingleton<CheckRunner>();
        if (cluster)
        {
            // Partitions instead of one trigger per monitor: docs/scale-out.md, "Scheduling in a cluster".
            builder.Services.AddSingleton<PartitionRunner>();
            builder.Services.AddHostedService(services => services.GetRequiredService<PartitionRunner>());
            builder.Services.AddHostedService<PartitionScheduler>();
            builder.Services.AddSingleton<CheckNowRelay>();
            builder.Services.AddHostedService(services => services.GetRequiredService<CheckNowRelay>());
        }
        else
        {
            builder.Services.AddHostedService(services => services.GetRequiredService<ScheduleReconciler>());
        }
        // A cluster's console changes made on other nodes (PostgreSQL only).
        builder.Services.AddSingleton<MonitorChangeSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MonitorChangeSignal>());
        // After the first reconcile, so a reload never races the start-up sync.
        builder.Services.AddSingleton<ConfigReloader>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfigReloader>());
        return builder;
    }
}

/// <summary>
/// Which scheduler this process runs, decided once when the services are registered (the Quartz store cannot change
/// later): a cluster's partitions (PostgreSQL) or one trigger per monitor (SQLite).
/// </summary>
internal sealed record SchedulingMode(bool Cluster);
