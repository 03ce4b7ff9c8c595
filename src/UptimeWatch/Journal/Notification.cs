using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// One thing to tell people: one step of one incident (or a test). Built by the outbox from what was stored in the
/// same transaction as the status change, so it reads the same on every retry.
/// </summary>
/// <param name="Id">The outbox row's id.</param>
/// <param name="Key">Idempotency key, e.g. <c>alert:12:down:slack</c>; receivers can use it to drop a repeat.</param>
/// <param name="IncidentId">The alert (incident) id every step of one down period shares; 0 for a test.</param>
/// <param name="Event">
/// <c>down</c>, <c>reminder</c>, <c>recovered</c>, <c>degraded</c>, <c>certificate</c>, <c>flapping.started</c>,
/// <c>flapping.stopped</c>, <c>test</c>, or for UptimeWatch itself <c>location.offline</c>, <c>location.online</c>,
/// <c>location.isolated</c>, <c>location.connected</c>, <c>node.offline</c> and <c>node.online</c> (then
/// <paramref name="Monitor"/> and <paramref name="Target"/> are empty and <paramref name="MonitorName"/> names the location or node).
/// </param>
/// <param name="Monitor">The monitor's slug.</param>
/// <param name="MonitorName">The monitor's name, as the user wrote it (escape it for HTML and for chat markup).</param>
/// <param name="Target">What is checked (a URL, or <c>push</c>).</param>
/// <param name="Status">The monitor's status after the change (<c>down</c>, <c>up</c>, …).</param>
/// <param name="PreviousStatus">Its status before, if this step is a change.</param>
/// <param name="Reason">Why, in words (the event-log reason).</param>
/// <param name="At">When it happened.</param>
/// <param name="IncidentStartedAt">When the incident began (for reminders and recoveries: how long it has lasted).</param>
/// <param name="StatusPageUrl">A link for people, when <c>UptimeWatch:Alerting:PublicUrl</c> is set.</param>
internal sealed record Notification(
    long Id,
    string Key,
    long IncidentId,
    string Event,
    string Monitor,
    string MonitorName,
    string Target,
    string Status,
    string? PreviousStatus,
    string Reason,
    DateTimeOffset At,
    DateTimeOffset? IncidentStartedAt,
    string? StatusPageUrl);
