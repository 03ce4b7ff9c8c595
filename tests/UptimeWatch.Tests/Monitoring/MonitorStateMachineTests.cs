using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

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
    public void Alternating_verdicts_become_flapping_once_instead_of_a_storm_of_changes()
    {
        var states = Run(string.Concat(Enumerable.Repeat("+-", 12)), failureThreshold: 1, successThreshold: 1);

        var changes = Statuses(states).Zip(Statuses(states).Skip(1)).Count(p => p.First != p.Second);
        Assert.Equal(MonitorStatus.Flapping, states[^1].Status);
        Assert.True(states[^1].Flapping);
        // Up/down changes until the weighted change reaches 20 %, then one change to flapping and quiet.
        var firstFlapping = states.FindIndex(s => s.Status == MonitorStatus.Flapping);
        Assert.InRange(firstFlapping, 3, 8);
        Assert.Equal(firstFlapping + 1, changes + 1);
    }

    [Fact]
    public void Flapping_stops_when_the_state_change_falls_to_the_stop_threshold_and_shows_the_real_status()
    {
        var flapping = Run(string.Concat(Enumerable.Repeat("+-", 12)), failureThreshold: 1)[^1];

        var after = Run(new string('+', 21), failureThreshold: 1, start: flapping);

        var stop = after.FindIndex(s => !s.Flapping);
        Assert.InRange(stop, 1, 20);
        Assert.Equal(MonitorStatus.Up, after[stop].Status);
        Assert.True(MonitorStateMachine.PercentStateChange(after[stop].History) <= 5);
        Assert.All(after.Take(stop), s => Assert.Equal(MonitorStatus.Flapping, s.Status));
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
