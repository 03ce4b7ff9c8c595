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

    /// <summary>The status shown: <c>pending</c> while a failure is being confirmed (not an event of its own).</summary>
    public static string Display(MonitorStatus status, int consecutiveFailures) =>
        consecutiveFailures > 0 && status is MonitorStatus.Unknown or MonitorStatus.Up or MonitorStatus.Degraded
            ? "pending"
            : Text(status);
}
