using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>Something for the Journal to store; it stores them in the order they were appended.</summary>
internal abstract record JournalWrite;

/// <summary>Everything one check (and the slots it found missed) writes, in one transaction; also pause and resume.</summary>
internal sealed record CheckWrite(int MonitorId, string Slug, IReadOnlyList<CheckRecord> Checks, StateSnapshot? State, StatusChange? Change)
    : JournalWrite
{
    /// <summary>Who to tell about <see cref="Change"/>, queued in the outbox in the same transaction.</summary>
    public NotificationPlan? Notify { get; init; }

    /// <summary>What Monitoring decided, as the Journal stores it.</summary>
    public static CheckWrite From(Judgement judgement) =>
        new(judgement.MonitorId, judgement.Definition.Slug, judgement.Checks, judgement.State, judgement.Change)
        {
            Notify = NotificationPlan.For(judgement),
        };
}

/// <summary>
/// An alert about UptimeWatch itself rather than one monitor (a probe location that stopped reporting, or came back):
/// queued in the outbox for <paramref name="Channels"/>, once, under <paramref name="Key"/> (one per channel). Its
/// outbox rows belong to no monitor: deleting a monitor leaves them alone.
/// </summary>
/// <param name="Event">
/// <c>location.offline</c>, <c>location.online</c>, <c>location.isolated</c>, <c>location.connected</c>, <c>node.offline</c> or <c>node.online</c>.
/// </param>
/// <param name="Subject">What it is about, as people read it: <c>location eu-west</c>.</param>
internal sealed record SystemAlert(string Key, string Event, string Subject, string Status, string Reason, IReadOnlyList<string> Channels,
    DateTimeOffset At) : JournalWrite;

/// <summary>Someone acknowledged an alert; <see cref="Committed.Alert"/> is the alert as stored, or null when there is no such alert.</summary>
internal sealed record AlertAcknowledgement(long AlertId, string By, string? Note, DateTimeOffset At) : JournalWrite;

/// <summary>A monitor is being deleted (archived): its open alert, if any, is resolved first.</summary>
internal sealed record MonitorArchived(int MonitorId, string By, DateTimeOffset At) : JournalWrite;

/// <summary>
/// What an awaited write became once committed and published: the event-log row it appended (if any) and the alert
/// it touched (for an acknowledgement: the alert as stored, null when there is no such alert).
/// </summary>
internal sealed record Committed(long? EventId, Alert? Alert);

/// <summary>
/// Who to tell about a status change and under which rules. Which notifications it calls for (if any) is decided by
/// the writer with <see cref="Monitoring.AlertRules.Notifications"/>, once it knows whether the change raised or resolved
/// an alert: that depends on the alert open in the database, not only on the change.
/// </summary>
internal sealed record NotificationPlan(IReadOnlyList<string> Channels, string MonitorName, string Target, Configuration.AlertRulesSettings Rules,
    bool Certificate)
{
    /// <summary>Null when there is no change to tell, the change is quiet by choice (pause, resume), or no channel to tell.</summary>
    public static NotificationPlan? For(Judgement judgement) =>
        judgement is { Change: not null, Rules.Channels: { Count: > 0 } channels }
            ? new NotificationPlan(channels, judgement.Definition.Name, judgement.Definition.Target, judgement.Rules, judgement.CertificateExpiring)
            : null;

    /// <summary>The notification events for <paramref name="change"/> after the writer's <paramref name="step"/> on its alert, in order.</summary>
    public IReadOnlyList<string> EventsFor(StatusChange change, IncidentStep step) => Monitoring.AlertRules.Notifications(change, step, Rules, Certificate);
}
