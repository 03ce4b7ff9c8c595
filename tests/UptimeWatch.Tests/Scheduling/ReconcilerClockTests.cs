using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using UptimeWatch.Monitoring;
using UptimeWatch.Scheduling;

namespace UptimeWatch.Tests.Scheduling;

/// <summary>
/// Scheduling thousands of monitors takes a while. A trigger stored with a start time already behind the clock kept
/// its monitor's checks a constant fraction of a second off their slot for as long as the process ran (bench/).
/// </summary>
public sealed class ReconcilerClockTests
{
    [Fact]
    public async Task No_trigger_is_stored_with_a_first_slot_that_the_clock_has_already_passed()
    {
        await using var target = await TargetServer.StartAsync();
        var monitors = Enumerable.Range(1, 12).Select(i => UptimeWatchApp.Monitor($"m{i}", target.Url("/health"))).ToList();
        // One trigger per monitor is the single-node (SQLite) scheduler; a cluster schedules partitions (ClusterSchedulingTests).
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), monitors, TestStorage.SqliteOnly());
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.DeleteJobs([.. await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ScheduleReconciler.Group))]);
        // Storing each trigger moves the clock 300 ms on, as if the scheduler were busy with thousands of them.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var stored = new StoredTriggers(clock, TimeSpan.FromMilliseconds(300));
        scheduler.ListenerManager.AddSchedulerListener(stored);
        var reconciler = new ScheduleReconciler(app.Services.GetRequiredService<ISchedulerFactory>(),
            app.Services.GetRequiredService<MonitorRegistry>(), clock,
            new SchedulingMode(Cluster: false),
            NullLogger<ScheduleReconciler>.Instance);

        var (added, _, _) = await reconciler.ReconcileAsync(CancellationToken.None);

        Assert.Equal(12, added);
        Assert.Equal(12, stored.Seen.Count);
        Assert.All(stored.Seen, s => Assert.True(s.Start >= s.StoredAt,
            $"{s.Key} starts at {s.Start:HH:mm:ss.fff}, behind the clock's {s.StoredAt:HH:mm:ss.fff} when it was stored"));
    }

    /// <summary>Notes each monitor trigger's first slot and the clock when it was stored, then lets time pass.</summary>
    private sealed class StoredTriggers(FakeTimeProvider clock, TimeSpan perTrigger) : ISchedulerListener
    {
        public List<(TriggerKey Key, DateTimeOffset Start, DateTimeOffset StoredAt)> Seen { get; } = [];

        public ValueTask JobScheduled(IScheduler scheduler, ITrigger trigger, CancellationToken cancellationToken = default)
        {
            if (trigger.Key.Group == ScheduleReconciler.Group && !trigger.Key.Name.EndsWith("-retry", StringComparison.Ordinal))
            {
                lock (Seen)
                {
                    Seen.Add((trigger.Key, trigger.StartTimeUtc, clock.GetUtcNow()));
                    clock.Advance(perTrigger);
                }
            }
            return ValueTask.CompletedTask;
        }
    }
}
