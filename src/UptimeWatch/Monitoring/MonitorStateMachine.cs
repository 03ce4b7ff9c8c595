using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>A monitor's verdict and the streaks that lead to the next one.</summary>
internal readonly record struct MonitorState(MonitorStatus Status, int ConsecutiveFailures, int ConsecutiveSuccesses)
{
    public static readonly MonitorState Initial = new(MonitorStatus.Unknown, 0, 0);
}

/// <summary>
/// Thresholds, and nothing else: <c>FailureThreshold</c> consecutive failures make a monitor down,
/// <c>SuccessThreshold</c> consecutive successes make it up. From unknown the same rules give the first verdict.
/// Missed slots never reach this: they are neither a success nor a failure.
/// </summary>
internal static class MonitorStateMachine
{
    public static MonitorState Apply(MonitorState state, bool success, int failureThreshold, int successThreshold)
    {
        if (state.Status == MonitorStatus.Paused)
        {
            return state;
        }

        if (success)
        {
            var successes = state.ConsecutiveSuccesses + 1;
            var status = state.Status != MonitorStatus.Up && successes >= successThreshold ? MonitorStatus.Up : state.Status;
            return new MonitorState(status, 0, successes);
        }

        var failures = state.ConsecutiveFailures + 1;
        var next = state.Status != MonitorStatus.Down && failures >= failureThreshold ? MonitorStatus.Down : state.Status;
        return new MonitorState(next, failures, 0);
    }
}
