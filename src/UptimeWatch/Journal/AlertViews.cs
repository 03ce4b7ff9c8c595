using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

internal static class AlertViews
{
    public static AlertView From(Alert alert, string slug, string name) => new(
        alert.Id, slug, name, alert.Kind, alert.RaisedAt, alert.RaisedEventId, alert.Reason,
        alert.AcknowledgedAt, alert.AcknowledgedBy, alert.Note, alert.ResolvedAt, alert.ResolvedEventId, AlertRules.State(alert));
}

/// <summary>One incident of one monitor: raised, maybe acknowledged, maybe resolved.</summary>
internal sealed record AlertView(
    long Id,
    string Monitor,
    string MonitorName,
    string Kind,
    DateTimeOffset RaisedAt,
    long RaisedSeq,
    string Reason,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    string? Note,
    DateTimeOffset? ResolvedAt,
    long? ResolvedSeq,
    string State);
