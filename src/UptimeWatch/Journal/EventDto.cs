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

    /// <summary>
    /// The one mapping from a stored event to what every surface shows (live pushes, replays, <c>/api/events</c>,
    /// incidents): the public reason when <paramref name="forPublic"/>, else the full one.
    /// </summary>
    public static EventDto Of(StatusEvent e, string slug, string name, bool forPublic)
    {
        var shown = Monitoring.PublicReasons.OfEvent(e.Category, e.PublicReason, e.To);
        return new EventDto(e.Id, slug, name, StatusWords.Text(e.From), StatusWords.Text(e.To), e.At, forPublic ? shown.Text : e.Reason, shown.Category)
        {
            Flapping = e.Flapping,
        };
    }
}
