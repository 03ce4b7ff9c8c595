using System.Globalization;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// A monitor's state: the status everyone sees (<see cref="Status"/>), what the thresholds alone say
/// (<see cref="Base"/>), the streaks that lead to the next threshold verdict, the recent verdicts that flap
/// detection reads, and whether it is flapping: a flag beside the status, never a status of its own, so a real
/// outage shows as down after <c>FailureThreshold</c> failures however unstable the monitor was before. All of it
/// is persisted, so a restart resumes mid-streak without a spurious event.
/// </summary>
internal readonly record struct MonitorState(
    MonitorStatus Status,
    MonitorStatus Base,
    int ConsecutiveFailures,
    int ConsecutiveSuccesses,
    string History,
    bool Flapping)
{
    public static readonly MonitorState Initial = new(MonitorStatus.Unknown, MonitorStatus.Unknown, 0, 0, "", false);

    /// <summary>
    /// Confirming a failure: it has failed, but not yet often enough to be down. Shown as <c>pending</c>; not an
    /// event of its own, since the point of confirming is not to announce what may be a blip.
    /// </summary>
    public bool Pending => ConsecutiveFailures > 0 && Status is MonitorStatus.Unknown or MonitorStatus.Up or MonitorStatus.Degraded;
}

/// <summary>The rules, as pure functions of the previous state, one verdict and the time.</summary>
internal static class MonitorStateMachine
{
    /// <summary>How many verdicts flap detection looks at (as Nagios does).</summary>
    public const int HistoryLength = 21;

    /// <summary>
    /// Thresholds: <c>FailureThreshold</c> consecutive down verdicts make the base status down;
    /// <c>SuccessThreshold</c> consecutive working verdicts bring it back (up or degraded, whichever the latest
    /// verdict is). Between up and degraded it moves at once: that is a change of quality, not of availability.
    /// Maintenance is laid over it to give the status people see; flapping is worked out beside it and changes
    /// nothing of the status (it only holds repeated notifications back, see <see cref="AlertRules"/>).
    /// </summary>
    public static MonitorState Apply(MonitorState state, Probing.Verdict verdict, Thresholds thresholds, bool inMaintenance)
    {
        if (state.Status == MonitorStatus.Paused)
        {
            return state;
        }

        var failures = state.ConsecutiveFailures;
        var successes = state.ConsecutiveSuccesses;
        var baseStatus = state.Base;
        if (verdict == Probing.Verdict.Down)
        {
            failures++;
            successes = 0;
            if (baseStatus != MonitorStatus.Down && failures >= thresholds.Failure)
            {
                baseStatus = MonitorStatus.Down;
            }
        }
        else
        {
            successes++;
            failures = 0;
            var working = verdict == Probing.Verdict.Degraded ? MonitorStatus.Degraded : MonitorStatus.Up;
            if (baseStatus is MonitorStatus.Up or MonitorStatus.Degraded || successes >= thresholds.Success)
            {
                baseStatus = working;
            }
        }

        var history = (state.History + Letter(verdict)) is var h && h.Length > HistoryLength ? h[^HistoryLength..] : h;
        var percent = PercentStateChange(history);
        var flapping = state.Flapping ? percent > thresholds.FlapStop : percent >= thresholds.FlapStart;

        var status = inMaintenance ? MonitorStatus.Maintenance : baseStatus;
        return new MonitorState(status, baseStatus, failures, successes, history, flapping);
    }

    /// <summary>
    /// Nagios's weighted percent state change: each of the 20 transitions between 21 verdicts that changed
    /// state counts with a weight from 0.75 (oldest) to 1.25 (newest), over the full window, so a short history
    /// (a new monitor) cannot look like flapping from a couple of changes.
    /// </summary>
    public static double PercentStateChange(string history)
    {
        const int transitions = HistoryLength - 1;
        var offset = transitions - (history.Length - 1);
        var weighted = 0.0;
        for (var i = 1; i < history.Length; i++)
        {
            if (history[i] != history[i - 1])
            {
                var position = offset + i - 1;
                weighted += 0.75 + 0.5 * position / (transitions - 1);
            }
        }
        return weighted * 100 / transitions;
    }

    /// <summary>Why the status (or the flapping flag) changed, in words, for the event log.</summary>
    public static string Reason(MonitorState before, MonitorState after, ProbeResult result, Thresholds thresholds, DateTimeOffset? maintenanceEnd)
    {
        var percent = PercentStateChange(after.History).ToString("0", CultureInfo.InvariantCulture);
        var status = after.Status switch
        {
            MonitorStatus.Maintenance => maintenanceEnd is { } end
                ? $"maintenance window until {end.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC"
                : "maintenance window",
            _ when before.Status == MonitorStatus.Maintenance => $"maintenance ended; {Describe(after, result)}",
            _ => Describe(after, result),
        };
        return (before.Flapping, after.Flapping) switch
        {
            (false, true) =>
                $"flapping: {percent}% of the last {after.History.Length} checks changed state (starts at {thresholds.FlapStart.ToString(CultureInfo.InvariantCulture)}%); {status}",
            (true, false) => $"stopped flapping ({percent}% state change); {status}",
            _ => status,
        };
    }

    private static string Describe(MonitorState state, ProbeResult result) => state.Base switch
    {
        MonitorStatus.Down => $"{Count(state.ConsecutiveFailures, "consecutive failure", "consecutive failures")}: {result.Error}",
        MonitorStatus.Degraded => $"degraded: {result.Error}",
        MonitorStatus.Up => $"{Count(state.ConsecutiveSuccesses, "consecutive success", "consecutive successes")}: {Detail(result)}",
        _ => $"no verdict yet: {result.Error ?? Detail(result)}",
    };

    private static string Detail(ProbeResult result) => result.Summary ?? (result.HttpStatus is { } status
        ? $"HTTP {status.ToString(CultureInfo.InvariantCulture)} in {result.ElapsedMs.ToString(CultureInfo.InvariantCulture)} ms"
        : $"answered in {result.ElapsedMs.ToString(CultureInfo.InvariantCulture)} ms");

    private static string Count(int n, string one, string many) => $"{n.ToString(CultureInfo.InvariantCulture)} {(n == 1 ? one : many)}";

    private static char Letter(Probing.Verdict verdict) => verdict switch
    {
        Probing.Verdict.Up => 'U',
        Probing.Verdict.Degraded => 'G',
        _ => 'D',
    };
}

/// <summary>The per-monitor numbers the rules use.</summary>
internal readonly record struct Thresholds(int Failure, int Success, double FlapStart = 20, double FlapStop = 5);
