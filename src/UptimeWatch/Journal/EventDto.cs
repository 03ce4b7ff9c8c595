using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// A status change. <paramref name="Category"/> is the public category of its reason; <paramref name="Reason"/> is that
/// category's short text on public surfaces and the full text on admin ones (and publicly with <c>StatusPage:ShowErrorDetails</c>).
/// </summary>
internal sealed record EventDto(long Id, string Monitor, string Name, string From, string To, DateTimeOffset At, string Reason, string Category)
{
    /// <summary>Whether the monitor is flapping after this event; an event that only changes the flag has from = to.</summary>
    public bool Flapping { get; init; }

    /// <summary>From a stored event's fields: the public reason when <paramref name="forPublic"/>, else the full one.</summary>
    public static EventDto Create(long id, string slug, string name, MonitorStatus from, MonitorStatus to, DateTimeOffset at, string reason,
        string? category, string? publicReason, bool flapping, bool forPublic)
    {
        var shown = Monitoring.PublicReasons.OfEvent(category, publicReason, to);
        return new EventDto(id, slug, name, StatusWords.Text(from), StatusWords.Text(to), at, forPublic ? shown.Text : reason, shown.Category)
        {
            Flapping = flapping,
        };
    }
}
