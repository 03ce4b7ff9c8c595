using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// The status words every surface shows (the status page, the live streams, the admin console, notifications, push
/// replies): one vocabulary, so a monitor never reads "pending" in one place and "up" in another.
/// </summary>
internal static class StatusWords
{
    /// <summary>The stored status as a word: <c>up</c>, <c>down</c>, <c>degraded</c>, <c>maintenance</c>, <c>paused</c>, <c>unknown</c>.</summary>
    public static string Text(MonitorStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A check's outcome as a word: <c>up</c>, <c>degraded</c>, <c>down</c>.</summary>
    public static string Outcome(CheckOutcome outcome) => outcome.ToString().ToLowerInvariant();

    /// <summary>The status shown: <c>pending</c> while a failure is being confirmed (not an event of its own).</summary>
    public static string Display(MonitorStatus status, int consecutiveFailures) =>
        consecutiveFailures > 0 && status is MonitorStatus.Unknown or MonitorStatus.Up or MonitorStatus.Degraded
            ? "pending"
            : Text(status);

    /// <summary>
    /// The overall word for a set of monitors: down when every monitor with a verdict is down; degraded when some are,
    /// or any is degraded or flapping (up but unstable); up when all are up and steady. Unknown when none has a verdict
    /// yet. Monitors without a verdict, in maintenance or paused do not count.
    /// </summary>
    public static string Overall(IEnumerable<(MonitorStatus Status, bool Flapping)> monitors)
    {
        var known = monitors.Where(m => m.Status is MonitorStatus.Up or MonitorStatus.Down or MonitorStatus.Degraded).ToList();
        if (known.Count == 0)
        {
            return "unknown";
        }
        var down = known.Count(m => m.Status == MonitorStatus.Down);
        return down == known.Count ? "down" : known.All(m => m is { Status: MonitorStatus.Up, Flapping: false }) ? "up" : "degraded";
    }
}
