using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>Something for the single writer to store; it stores them in the order they were queued.</summary>
internal abstract record StoreWrite;

/// <summary>Everything one check (and the slots it found missed) writes, in one transaction; also pause and resume.</summary>
internal sealed record CheckWrite(int MonitorId, string Slug, IReadOnlyList<CheckRecord> Checks, StateSnapshot? State, StatusChange? Change)
    : StoreWrite
{
    /// <summary>Who to tell about <see cref="Change"/>, queued in the outbox in the same transaction.</summary>
    public NotificationPlan? Notify { get; init; }

    /// <summary>
    /// For a caller who must see its write stored before it answers (a heartbeat, a pause, "check now"): completed
    /// once the transaction has committed and its events are published; cancelled if the write is given up.
    /// </summary>
    public TaskCompletionSource? Stored { get; init; }

    /// <summary>This write with a <see cref="Stored"/> to wait on.</summary>
    public CheckWrite Awaited() => this with { Stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
}

/// <summary>
/// Who to tell about a status change and under which rules. Which notifications it calls for (if any) is decided by
/// the writer with <see cref="Monitoring.AlertRules.Notifications"/>, once it knows whether the change raised or resolved
/// an alert: that depends on the alert open in the database, not only on the change.
/// </summary>
internal sealed record NotificationPlan(IReadOnlyList<string> Channels, string MonitorName, string Target, Configuration.AlertRulesSettings Rules,
    bool Certificate)
{
    /// <summary>Null when the monitor has no channel to tell.</summary>
    public static NotificationPlan? For(Configuration.MonitorDefinition definition, Configuration.AlertRulesSettings rules, Probing.ProbeResult result) =>
        rules.Channels is { Count: > 0 } channels
            ? new NotificationPlan(channels, definition.Name, definition.Target, rules,
                result.CertificateDaysLeft is { } days && days < definition.CertificateExpiryWarningDays)
            : null;

    /// <summary>The notification events for <paramref name="change"/> after the writer's <paramref name="step"/> on its alert, in order.</summary>
    public IReadOnlyList<string> EventsFor(StatusChange change, IncidentStep step) => Monitoring.AlertRules.Notifications(change, step, Rules, Certificate);
}

/// <summary>Someone acknowledged an alert. <see cref="Done"/> gets the alert as stored, or null when there is no such alert.</summary>
internal sealed record AlertAcknowledgement(long AlertId, string By, string? Note, DateTimeOffset At, TaskCompletionSource<Alert?> Done) : StoreWrite;

/// <summary>A monitor is being deleted (archived): its open alert, if any, is resolved first.</summary>
internal sealed record MonitorArchived(int MonitorId, string By, DateTimeOffset At, TaskCompletionSource Done) : StoreWrite;
