using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// Builds <see cref="LiveEvent"/>s: the publisher for what just committed, <see cref="JournalReader"/> for what is
/// replayed from the log. One builder, so a replayed event is the same bytes as the one published live.
/// </summary>
internal sealed class LiveEvents(IOptions<JsonOptions> json, IOptions<UptimeWatchOptions> options)
{
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    /// <summary>Whether the public sees the full reasons (<c>StatusPage:ShowErrorDetails</c>); then one event serves both sides.</summary>
    private bool ShowErrorDetails => options.Value.StatusPage.ShowErrorDetails;

    public LiveEvent Build<T>(long? id, string kind, bool isPublic, T payload)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(payload, _json);
        return new LiveEvent(id, kind, isPublic, data, SseFrame.Build(id, kind, data));
    }

    /// <summary>
    /// A status change as published: one event with the full reason (for every feed when the public sees full reasons
    /// or the monitor is private), and for a public monitor otherwise a public-only copy with the public reason.
    /// </summary>
    public void AddStatus(List<LiveEvent> into, StatusEvent e, string slug, string name, bool isPublic)
    {
        var full = StatusFor(LiveFeed.Everything, e, slug, name, isPublic);
        into.Add(full);
        if (isPublic && !full.Public)
        {
            into.Add(StatusFor(LiveFeed.PublicStream, e, slug, name, isPublic));
        }
    }

    /// <summary>A status change as <paramref name="feed"/> gets it (the copy <see cref="AddStatus"/> publishes to it).</summary>
    public LiveEvent StatusFor(LiveFeed feed, StatusEvent e, string slug, string name, bool isPublic)
    {
        if (feed == LiveFeed.Everything)
        {
            // Also the public copy when the public is shown the same text.
            return Build(e.Id, "status", isPublic && ShowErrorDetails, EventDto.Of(e, slug, name, forPublic: false));
        }
        return Build(e.Id, "status", true, PublicView(e, slug, name)) with { PublicOnly = !ShowErrorDetails };
    }

    /// <summary>A status change as the public sees it: its public reason, or the full one with <c>StatusPage:ShowErrorDetails</c>.</summary>
    public EventDto PublicView(StatusEvent e, string slug, string name) => EventDto.Of(e, slug, name, forPublic: !ShowErrorDetails);

    /// <summary>An alert step (<c>alert.raised</c>, <c>alert.acknowledged</c>, <c>alert.resolved</c>): admin only, never public.</summary>
    public LiveEvent Alert(string step, long? seq, Alert alert, string slug, string name) =>
        Build(seq, step, false, AlertViews.From(alert, slug, name));
}
