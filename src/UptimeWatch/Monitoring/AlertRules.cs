using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// When a status change starts or ends an incident, and which notifications it calls for. Flapping is a flag beside
/// the status whose only effect is here: it holds back the repeated notifications of a monitor that keeps changing,
/// never the first one, so an outage is announced as soon as the status says down.
/// <list type="bullet">
/// <item>Going down with no alert open raises one (<c>down</c>), flapping or not: after <c>FailureThreshold</c>
/// failures, as always. Paused or in maintenance resolves an open alert quietly.</item>
/// <item>Not flapping: leaving down resolves the alert (<c>recovered</c>).</item>
/// <item>Flapping starts: one <c>flapping.started</c> notice (after the <c>down</c>, when the same check raised one).
/// While the flag is set, up or degraded does not resolve the open alert, so the next down needs no new one:
/// flip-flops send nothing more (nor do degraded changes).</item>
/// <item>Flapping stops: the alert is brought in line with the status: <c>recovered</c> when it is up or degraded
/// with an alert open, <c>down</c> when it is down with none open (an alert resolved quietly, or older data);
/// otherwise <c>flapping.stopped</c>, which says what the status is now.</item>
/// </list>
/// So a monitor that flips a few times and then fails steadily sends exactly one <c>down</c>, within
/// <c>FailureThreshold</c> failures (or none, when its alert is still open from a flip). Reminders follow the status
/// (see <c>NotificationDispatcher.QueueRemindersAsync</c>). Decisions use the alert open in the database, so they hold
/// across restarts and old data.
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
        if (change.To == MonitorStatus.Down)
        {
            return hasOpenAlert ? IncidentStep.None : IncidentStep.Raise;
        }
        // Up or degraded: while it flaps the alert stays open, so the next flip down is not a new incident.
        return hasOpenAlert && !change.Flapping ? IncidentStep.Resolve : IncidentStep.None;
    }

    /// <summary>
    /// The notification events a change calls for under <paramref name="rules"/>, after <paramref name="step"/>, in
    /// the order to send them; empty for none.
    /// </summary>
    public static IReadOnlyList<string> Notifications(StatusChange change, IncidentStep step, Configuration.AlertRulesSettings rules, bool certificate)
    {
        if (change.To is MonitorStatus.Maintenance or MonitorStatus.Paused)
        {
            // Quiet: planned, or someone chose it.
            return [];
        }
        var starts = change.Flapping && !change.WasFlapping;
        string? main = step switch
        {
            IncidentStep.Raise => rules.OnDown ? "down" : null,
            IncidentStep.Resolve => rules.OnRecovery ? "recovered" : null,
            // Held back while it flaps: repeats of what the open alert (or the flapping notice) already says.
            _ when change.Flapping => null,
            // Its alert was already in line with the status: say it settled, and how.
            _ when change.WasFlapping => rules.OnFlapping ? "flapping.stopped" : null,
            _ when change.To == MonitorStatus.Degraded && change.From is MonitorStatus.Up or MonitorStatus.Unknown =>
                certificate ? rules.OnCertificateExpiry ? "certificate" : null : rules.OnDegraded ? "degraded" : null,
            _ => null,
        };
        // The check that set the flag can also be the one that went down: the down first, then why recoveries wait.
        string? notice = starts && rules.OnFlapping ? "flapping.started" : null;
        return [.. new[] { main, notice }.OfType<string>()];
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
