using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

public sealed class MonitorStateMachineTests
{
    private static List<MonitorStatus> Run(string checks, int failureThreshold, int successThreshold, MonitorState? start = null)
    {
        var state = start ?? MonitorState.Initial;
        var statuses = new List<MonitorStatus>();
        foreach (var c in checks)
        {
            state = MonitorStateMachine.Apply(state, c == '+', failureThreshold, successThreshold);
            statuses.Add(state.Status);
        }
        return statuses;
    }

    [Fact]
    public void The_first_success_gives_the_first_verdict_with_the_default_success_threshold()
    {
        Assert.Equal([MonitorStatus.Up], Run("+", failureThreshold: 2, successThreshold: 1));
    }

    [Fact]
    public void From_unknown_a_monitor_goes_down_only_on_the_failure_that_reaches_the_threshold()
    {
        Assert.Equal([MonitorStatus.Unknown, MonitorStatus.Down], Run("--", failureThreshold: 2, successThreshold: 1));
    }

    [Fact]
    public void Up_turns_down_exactly_on_the_third_consecutive_failure_with_threshold_three()
    {
        var statuses = Run("+---", failureThreshold: 3, successThreshold: 1);

        Assert.Equal([MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Up, MonitorStatus.Down], statuses);
    }

    [Fact]
    public void A_success_between_failures_resets_the_failure_streak()
    {
        var statuses = Run("+--+--", failureThreshold: 3, successThreshold: 1);

        Assert.All(statuses, s => Assert.Equal(MonitorStatus.Up, s));
    }

    [Fact]
    public void Down_turns_up_exactly_on_the_second_consecutive_success_with_threshold_two()
    {
        var statuses = Run("--+-++", failureThreshold: 2, successThreshold: 2);

        Assert.Equal(
            [MonitorStatus.Unknown, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Down, MonitorStatus.Up],
            statuses);
    }

    [Fact]
    public void Streak_counters_are_kept_so_a_restart_resumes_mid_streak()
    {
        var state = MonitorStateMachine.Apply(new MonitorState(MonitorStatus.Up, 1, 0), success: false, failureThreshold: 2, successThreshold: 1);

        Assert.Equal(new MonitorState(MonitorStatus.Down, 2, 0), state);
    }

    [Fact]
    public void A_paused_monitor_does_not_change()
    {
        var paused = new MonitorState(MonitorStatus.Paused, 0, 0);

        Assert.Equal(paused, MonitorStateMachine.Apply(paused, success: false, failureThreshold: 1, successThreshold: 1));
    }
}
