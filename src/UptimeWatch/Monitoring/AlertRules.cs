using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// When a status change starts or ends an incident, and which notification it calls for. Flapping is a flag beside
/// the status whose only effect is here, the way Nagios treats it:
/// <list type="bullet">
/// <item>Not flapping: going down raises an alert (<c>down</c>); leaving down resolves it (<c>recovered</c>). Paused or
/// in maintenance resolves it quietly.</item>
/// <item>Flapping starts: one <c>flapping.started</c> notice. While the flag is set nothing is raised or resolved and
/// down/up/degraded notifications (and reminders) are held back: the alert stays as it was when flapping started.</item>
/// <item>Flapping stops: the alert is brought in line with the status it settled in, with a normal notification:
/// <c>down</c> when it settled down with no alert open, <c>recovered</c> when it settled up with one open;
/// otherwise <c>flapping.stopped</c>, which says what the status is now.</item>
/// </list>
/// So a flapping monitor that then fails steadily sends exactly one <c>down</c>, when the flag clears.
/// Decisions use the alert open in the database, so they hold across restarts and old data.
/// </summary>
internal static class AlertRules
{
    /// <summary>What a change does to the monitor's alert, given whether one is open.</summary>
    public static IncidentStep Step(StatusChange change, bool hasOpenAlert)
    {
        if (change.To is MonitorStatus.Maintenance or MonitorStatus.Paused)
        {
            return hasOpenAlert ? IncidentStep.Resolve : IncidentStep.None;
        }
        if (change.Flapping)
        {
            return IncidentStep.None;
        }
        var down = change.To == MonitorStatus.Down;
        return down && !hasOpenAlert ? IncidentStep.Raise : !down && hasOpenAlert ? IncidentStep.Resolve : IncidentStep.None;
    }

    /// <summary>The notification event a change calls for under <paramref name="rules"/>, after <paramref name="step"/>; null for none.</summary>
    public static string? Notification(StatusChange change, IncidentStep step, Alerting.AlertRulesSettings rules, bool certificate)
    {
        if (change.To is MonitorStatus.Maintenance or MonitorStatus.Paused)
        {
            // Quiet: planned, or someone chose it.
            return null;
        }
        return step switch
        {
            IncidentStep.Raise => rules.OnDown ? "down" : null,
            IncidentStep.Resolve => rules.OnRecovery ? "recovered" : null,
            _ when change.Flapping && !change.WasFlapping => rules.OnFlapping ? "flapping.started" : null,
            _ when change.WasFlapping && !change.Flapping => rules.OnFlapping ? "flapping.stopped" : null,
            // Held back while it flaps.
            _ when change.Flapping => null,
            _ when change.To == MonitorStatus.Degraded && change.From is MonitorStatus.Up or MonitorStatus.Unknown =>
                certificate ? rules.OnCertificateExpiry ? "certificate" : null : rules.OnDegraded ? "degraded" : null,
            _ => null,
        };
    }

    /// <summary>The kind of every alert raised now (older databases may hold <c>flapping</c> ones).</summary>
    public const string DownKind = "down";

    public static string State(Alert alert) =>
        alert.ResolvedAt is not null ? "resolved" : alert.AcknowledgedAt is not null ? "acknowledged" : "open";
}

/// <summary>What a status change does to the monitor's alert.</summary>
internal enum IncidentStep
{
    None,
    Raise,
    Resolve,
}

/// <summary>Someone acknowledged an alert. <see cref="Done"/> gets the alert as stored, or null when there is no such alert.</summary>
internal sealed record AlertAcknowledgement(long AlertId, string By, string? Note, DateTimeOffset At, TaskCompletionSource<Alert?> Done) : StoreWrite;

/// <summary>A monitor is being deleted (archived): its open alert, if any, is resolved first.</summary>
internal sealed record MonitorArchived(int MonitorId, string By, DateTimeOffset At, TaskCompletionSource Done) : StoreWrite;
