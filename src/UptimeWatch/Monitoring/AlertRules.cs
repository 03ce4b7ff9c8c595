using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// When a status change starts or ends an incident. An alert is raised when a monitor goes down or starts flapping
/// (from anything else), stays open while it moves between the two, and is resolved when it leaves them: back up or
/// degraded, paused, in maintenance, or deleted.
/// </summary>
internal static class AlertRules
{
    public static bool IsAlerting(MonitorStatus status) => status is MonitorStatus.Down or MonitorStatus.Flapping;

    public static bool Raises(StatusChange change) => !IsAlerting(change.From) && IsAlerting(change.To);

    public static bool Resolves(StatusChange change) => IsAlerting(change.From) && !IsAlerting(change.To);

    public static string Kind(MonitorStatus status) => status == MonitorStatus.Flapping ? "flapping" : "down";

    public static string State(Alert alert) =>
        alert.ResolvedAt is not null ? "resolved" : alert.AcknowledgedAt is not null ? "acknowledged" : "open";
}

/// <summary>Someone acknowledged an alert. <see cref="Done"/> gets the alert as stored, or null when there is no such alert.</summary>
internal sealed record AlertAcknowledgement(long AlertId, string By, string? Note, DateTimeOffset At, TaskCompletionSource<Alert?> Done) : StoreWrite;

/// <summary>A monitor is being deleted (archived): its open alert, if any, is resolved first.</summary>
internal sealed record MonitorArchived(int MonitorId, string By, DateTimeOffset At, TaskCompletionSource Done) : StoreWrite;
