using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

internal static class AlertViews
{
    public static AlertView From(Alert alert, string slug, string name) => new(
        alert.Id, slug, name, alert.Kind, alert.RaisedAt, alert.RaisedEventId, alert.Reason,
        alert.AcknowledgedAt, alert.AcknowledgedBy, alert.Note, alert.ResolvedAt, alert.ResolvedEventId, AlertRules.State(alert));
}
