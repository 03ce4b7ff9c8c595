using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Scheduling;

/// <summary>
/// The machine sleeps, or the process is paused, through several of a monitor's slots: when the clock comes back the
/// slots it slept through are recorded as missed, once each, and the monitor goes on at its own cadence. Each trigger
/// reads the scheduler's clock: one built on the machine's clock instead judged "late" by one clock and "when next"
/// by the other, and a clock far from the machine's (as the app's injected one may be) sent the trigger back to its
/// first slot after every misfire, to fire that slot again and again and hold the monitor's turn for good.
/// </summary>
public sealed class ClockJumpTests
{
    [Fact]
    public async Task Slots_slept_through_are_recorded_missed_once_each_and_the_monitor_goes_on()
    {
        await using var target = await TargetServer.StartAsync();
        var clock = PushTesting.NewClock();
        var site = UptimeWatchApp.Monitor("Site", target.Url("/health"));
        site["IntervalSeconds"] = "2";
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [site],
            new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "0" })
        {
            TestServices = services => services.AddSingleton<TimeProvider>(clock),
        };
        using var admin = await app.SignedInAsync();
        var start = clock.GetUtcNow();
        // Looked at first, so the scheduler is known to be running; then the first slot (phase 1.761 s) comes and goes.
        await PushTesting.CheckNowAsync(admin, "site");
        clock.Advance(TimeSpan.FromSeconds(2));
        await Eventually.Until(() => app.StoredChecksAsync("site"), c => c.Count >= 2, TimeSpan.FromSeconds(10), "the first slot's check");

        // Asleep for 20 s: the slots at 3.761 … 21.761 s pass unseen (far more than the 1 s misfire threshold late).
        clock.Advance(TimeSpan.FromSeconds(20));
        var look = await PushTesting.CheckNowAsync(admin, "site");
        clock.Advance(TimeSpan.FromSeconds(2));
        // The slot at 23.761 s, run when the clock reaches it (a check is stored at the time it started).
        var checks = await Eventually.Until(() => app.StoredChecksAsync("site"),
            c => c.Any(x => x.At >= start.AddSeconds(24)), TimeSpan.FromSeconds(10), "the first slot after the sleep");

        Assert.Equal("up", look.Status);
        var missed = checks.Where(c => c.Outcome == "missed").ToList();
        // Not blamed on a check that ran before the sleep, or on the first one after it.
        Assert.All(missed, c => Assert.Equal("missed: the scheduler was late (all check slots busy or the process was paused)", c.Error));
        // The slot under way when the machine slept (3.761 s) either runs late or is missed too; every later one is
        // missed, once.
        var slept = Enumerable.Range(2, 9).Select(i => start.AddMilliseconds(1_761 + 2_000 * i)).ToList();
        Assert.Equal(slept, missed.Select(c => c.At).Where(at => at > start.AddMilliseconds(3_761)).Order().ToList());
        Assert.InRange(missed.Count, 9, 10);
        // The two checks now, the first slot, the slot under way, the nine slept through, the first after: nothing was
        // caught up in a burst, and no slot ran twice.
        Assert.Equal(14, checks.Count);
        Assert.Equal(3, checks.Count(c => c.Outcome == "up" && c.At >= start.AddSeconds(22)) + (missed.Count - 9));
    }
}
