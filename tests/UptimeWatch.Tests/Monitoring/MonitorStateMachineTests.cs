using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class MonitorStateMachineTests
{
    /// <summary>Feeds verdicts ('+' up, '~' degraded, '-' down) and returns each resulting state.</summary>
    private static List<MonitorState> Run(string checks, int failureThreshold = 2, int successThreshold = 1, MonitorState? start = null,
        Func<int, bool>? maintenanceAt = null, double flapStart = 20)
    {
        var state = start ?? MonitorState.Initial;
        var states = new List<MonitorState>();
        for (var i = 0; i < checks.Length; i++)
        {
            var verdict = checks[i] switch { '+' => Verdict.Up, '~' => Verdict.Degraded, _ => Verdict.Down };
            state = MonitorStateMachine.Apply(state, verdict, new Thresholds(failureThreshold, successThreshold, flapStart, Math.Min(5, flapStart - 1)), maintenanceAt?.Invoke(i) ?? false);
            states.Add(state);
        }
        return states;
    }

    private static List<MonitorStatus> Statuses(IEnumerable<MonitorState> states) => states.Select(s => s.Status).ToList();

    [Fact]
    public void The_first_success_gives_the_first_verdict_with_the_default_success_threshold() =>
        Assert.Equal([MonitorStatus.Up], Statuses(Run("+")));

    [Fact]
    public void From_unknown_a_monitor_goes_down_only_on_the_failure_that_reaches_the_threshold()
    {
        var states = Run("--", failureThreshold: 2);

        Assert.Equal([MonitorStatus.Unknown, MonitorStatus.Down], Statuses(states));
        Assert.True(states[0].Pending);
        Assert.False(states[1].Pending);
    }

    [Fact]
    public void Up_turns_down_exactly_on_the_third_consecutive_failure_with_threshold_three_and_is_pending_before()
    {
        var states = Run("+---", failureThreshold: 3);

        Assert.Equal([MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Down], Statuses(states));
        Assert.Equal([false, true, true, false], states.Select(s => s.Pending));
    }

    [Fact]
    public void A_success_between_failures_resets_the_failure_streak()
    {
        var states = Run("+--+--", failureThreshold: 3);

        Assert.All(states, s => Assert.Equal(MonitorStatus.Up, s.Status));
        Assert.False(states[3].Pending);
    }

    [Fact]
    public void Down_turns_up_exactly_on_the_second_consecutive_success_with_threshold_two()
    {
        var statuses = Statuses(Run("--+-++", failureThreshold: 2, successThreshold: 2));

        Assert.Equal(
            [MonitorStatus.Unknown, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Up],
            statuses);
    }

    [Fact]
    public void A_degraded_verdict_moves_between_up_and_degraded_at_once_but_recovers_from_down_only_after_the_threshold()
    {
        // Flap detection off: four changes in seven checks would rightly count as flapping.
        var statuses = Statuses(Run("+~+--~~", failureThreshold: 2, successThreshold: 2, flapStart: 100));

        Assert.Equal(
        [
            MonitorStatus.Unknown, MonitorStatus.Degraded, MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Down,
            MonitorStatus.Down, MonitorStatus.Degraded,
        ], statuses);
    }

    [Fact]
    public void Streak_counters_are_kept_so_a_restart_resumes_mid_streak()
    {
        var restored = new MonitorState(MonitorStatus.Up, MonitorStatus.Up, 1, 0, "UUD", false);

        var state = MonitorStateMachine.Apply(restored, Verdict.Down, new Thresholds(2, 1), inMaintenance: false);

        Assert.Equal(MonitorStatus.Down, state.Status);
        Assert.Equal("UUDD", state.History);
    }

    [Fact]
    public void A_paused_monitor_does_not_change()
    {
        var paused = MonitorState.Initial with { Status = MonitorStatus.Paused };

        Assert.Equal(paused, MonitorStateMachine.Apply(paused, Verdict.Down, new Thresholds(1, 1), inMaintenance: false));
    }

    [Fact]
    public void Alternating_verdicts_set_the_flapping_flag_once_and_the_status_keeps_following_the_checks()
    {
        var checks = string.Concat(Enumerable.Repeat("+-", 12));
        var states = Run(checks, failureThreshold: 1, successThreshold: 1);

        Assert.True(states[^1].Flapping);
        // The status is the threshold verdict of every check, flapping or not.
        Assert.Equal(checks.Select(c => c == '+' ? MonitorStatus.Up : MonitorStatus.Down), Statuses(states));
        // The flag is set once, when the weighted change reaches 20 %, and stays set while it flips.
        var firstFlapping = states.FindIndex(s => s.Flapping);
        Assert.InRange(firstFlapping, 3, 8);
        Assert.All(states.Skip(firstFlapping), s => Assert.True(s.Flapping));
        Assert.All(states.Take(firstFlapping), s => Assert.False(s.Flapping));
    }

    [Fact]
    public void A_monitor_that_flips_a_few_times_then_fails_steadily_is_down_after_the_failure_threshold_with_the_flag_set()
    {
        // The sequence: flips up/down a few times (enough to set the flag), then fails every check.
        var flips = Run("+-+-+-+-+", failureThreshold: 1);
        Assert.True(flips[^1].Flapping);
        Assert.Equal(MonitorStatus.Up, flips[^1].Status);

        var outage = Run(new string('-', 30), failureThreshold: 3, start: flips[^1]);

        Assert.Equal([MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Down], Statuses(outage.Take(3)));
        Assert.True(outage[2].Flapping);
        Assert.All(outage.Skip(2), s => Assert.Equal(MonitorStatus.Down, s.Status));
        // The flag clears by itself once the failures have pushed the flips out of the window; the status never moved.
        var settled = outage.FindIndex(s => !s.Flapping);
        Assert.InRange(settled, 3, 21);
        Assert.All(outage.Skip(settled), s => Assert.False(s.Flapping));
    }

    [Fact]
    public void Flapping_stops_when_the_state_change_falls_to_the_stop_threshold()
    {
        var flapping = Run(string.Concat(Enumerable.Repeat("+-", 12)), failureThreshold: 1)[^1];

        var after = Run(new string('+', 21), failureThreshold: 1, start: flapping);

        var stop = after.FindIndex(s => !s.Flapping);
        Assert.InRange(stop, 1, 20);
        Assert.True(MonitorStateMachine.PercentStateChange(after[stop].History) <= 5);
        Assert.All(after, s => Assert.Equal(MonitorStatus.Up, s.Status));
    }

    [Fact]
    public void Reasons_say_when_flapping_starts_and_stops_beside_the_status()
    {
        var thresholds = new Thresholds(1, 1);
        var before = Run("+-+-+-+", failureThreshold: 1).Last(s => !s.Flapping);
        var started = before with { Flapping = true, History = "UDUDUDUD" };
        var down = new ProbeResult(Verdict.Down, 12, 503, null, "HTTP 503");

        Assert.StartsWith("flapping: ", MonitorStateMachine.Reason(before, started, down, thresholds, null));
        Assert.StartsWith("stopped flapping (", MonitorStateMachine.Reason(started, before, down, thresholds, null));
    }

    [Theory]
    [InlineData("UUUUUUUUUUUUUUUUUUUUU", 0)]
    [InlineData("UDUDUDUDUDUDUDUDUDUDU", 100)]
    [InlineData("UUUUUUUUUUUUUUUUUUUUD", 6.25)]
    [InlineData("DUUUUUUUUUUUUUUUUUUUU", 3.75)]
    [InlineData("UD", 6.25)]
    public void Percent_state_change_weights_recent_changes_more(string history, double expected) =>
        Assert.Equal(expected, MonitorStateMachine.PercentStateChange(history), precision: 6);

    [Fact]
    public void During_maintenance_the_status_is_maintenance_and_a_target_still_down_at_the_end_shows_down()
    {
        var states = Run("+---+--", failureThreshold: 2, maintenanceAt: i => i is >= 1 and <= 4);

        Assert.Equal(
        [
            MonitorStatus.Up, MonitorStatus.Maintenance, MonitorStatus.Maintenance, MonitorStatus.Maintenance,
            MonitorStatus.Maintenance, MonitorStatus.Up, MonitorStatus.Down,
        ], Statuses(states));
        Assert.Equal(MonitorStatus.Down, states[3].Base);
    }
}
