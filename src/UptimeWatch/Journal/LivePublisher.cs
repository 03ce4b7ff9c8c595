using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// Turns what the writer has just committed into <see cref="LiveEvent"/>s and publishes them: a <c>status</c> event
/// per status change (same JSON as <c>/api/events</c>, id = event-log id), at once, and a <c>check</c> event per check
/// result for the admin socket. Public monitors' checks also go into <see cref="CheckFrames"/>, which
/// <see cref="FlushChecks"/> turns into one <c>checks</c> frame for the public streams every
/// <c>Live:CheckFrameMs</c>. Runs after the commit, so nothing is ever announced that a reload would not show.
/// Events are built by <see cref="LiveEvents"/>, as <see cref="JournalReader"/> builds them for replays.
/// </summary>
internal sealed class LivePublisher(EventHub hub, MonitorRegistry registry, IOptions<JsonOptions> json, Telemetry.UptimeWatchMetrics metrics,
    IOptions<UptimeWatchOptions> options)
{
    // Stateless, so this one builds what the reader's builds (the constructor stays what the writer's tests call).
    private readonly LiveEvents _build = new(json, options);
    private readonly CheckFrames _checks = new();

    // One order for every client: the writer, the frame timer and admin commands publish from different threads, and
    // a checks frame must not overtake a status event that was published before it (or the page would show a stale
    // status). Held for one fan-out, which never waits for a client.
    private readonly Lock _gate = new();

    public void PublishCommitted(IReadOnlyList<CommittedCheck> committed)
    {
        if (committed.Count == 0)
        {
            return;
        }
        var events = new List<LiveEvent>(committed.Count * 2);
        lock (_gate)
        {
            // Each check on its own is for admin sockets only, and it is live only (never replayed): with none
            // connected there is no one to build it for.
            var checkEvents = hub.HasSubscribers(LiveFeed.Everything);
            foreach (var c in committed)
            {
                if (!registry.TryGet(c.MonitorId, out var monitor))
                {
                    continue;
                }
                var definition = monitor.Definition;
                if (c.Event is { } e)
                {
                    _build.AddStatus(events, e, definition.Slug, definition.Name, definition.Public);
                    if (c.Check is null)
                    {
                        _checks.StatusChanged(c.MonitorId, c.DisplayStatus);
                    }
                }
                if (c.Alert is { } alert)
                {
                    // Admin only: alerts never go to the public status page.
                    events.Add(_build.Alert(alert.Step, alert.Seq, alert.Alert, definition.Slug, definition.Name));
                }
                if (c.Check is { } check)
                {
                    var dto = new CheckEventDto(definition.Slug, check.At, StatusWords.Outcome(check.Outcome), check.ResponseMs, c.DisplayStatus,
                        c.Location ?? options.Value.Location);
                    // Each check on its own for the admin socket only; public viewers get it in the next checks frame.
                    if (checkEvents)
                    {
                        events.Add(_build.Build(null, "check", definition.Public, dto));
                    }
                    if (definition.Public)
                    {
                        _checks.Add(c.MonitorId, dto);
                    }
                }
            }
            Publish(events);
        }
    }

    /// <summary>
    /// In a cluster (<see cref="JournalTail"/>): entries read from the log, built as <see cref="PublishCommitted"/>
    /// builds them, in id order.
    /// </summary>
    public void PublishFromLog(IReadOnlyList<LiveEvent> events)
    {
        lock (_gate)
        {
            Publish(events);
        }
    }

    /// <summary>
    /// In a cluster (<see cref="JournalTail"/>): the live-only part of committed batches, from any node: each check on
    /// its own for admin sockets and into the next <c>checks</c> frame for a public monitor, and the displayed status
    /// of a change without a check. A monitor this node does not know (yet) is left out, as <see cref="PublishCommitted"/> does.
    /// </summary>
    public void PublishNotices(IReadOnlyList<JournalNotice> notices)
    {
        var events = new List<LiveEvent>();
        lock (_gate)
        {
            var checkEvents = hub.HasSubscribers(LiveFeed.Everything);
            foreach (var item in notices.SelectMany(n => n.Items))
            {
                if (!registry.TryGet(item.MonitorId, out var monitor))
                {
                    continue;
                }
                if (item is not { At: { } at, Outcome: { } outcome })
                {
                    _checks.StatusChanged(item.MonitorId, item.Status);
                    continue;
                }
                var definition = monitor.Definition;
                var dto = new CheckEventDto(definition.Slug, DateTimeOffset.FromUnixTimeMilliseconds(at), outcome, item.ResponseMs, item.Status,
                    item.Location ?? options.Value.Location);
                if (checkEvents)
                {
                    events.Add(_build.Build(null, "check", definition.Public, dto));
                }
                if (definition.Public)
                {
                    _checks.Add(item.MonitorId, dto);
                }
            }
            Publish(events);
        }
    }

    /// <summary>
    /// Publishes one <c>checks</c> frame to the public streams with what was checked since the last one (nothing
    /// when nothing was). Called by the Live folder's timer every <c>Live:CheckFrameMs</c>.
    /// </summary>
    public void FlushChecks()
    {
        lock (_gate)
        {
            // A monitor made private since its check was coalesced is left out.
            var frame = _checks.Take(id => registry.TryGet(id, out var monitor) && monitor.Definition.Public);
            if (frame is not null)
            {
                Publish([_build.Build(null, CheckFrames.Kind, true, frame)]);
            }
        }
    }

    /// <summary>An admin-only, live-only event (not in the log): a definition changed, the config file was rejected.</summary>
    public void PublishAdmin<T>(string kind, T payload)
    {
        LiveEvent[] events = [_build.Build(null, kind, false, payload)];
        lock (_gate)
        {
            Publish(events);
        }
    }

    private void Publish(IReadOnlyList<LiveEvent> events)
    {
        hub.Publish(events);
        foreach (var e in events)
        {
            metrics.Published(e.Kind, e.PublicOnly);
        }
    }
}

/// <summary>What one check committed: its newest result, and the status change it caused, if any.</summary>
internal sealed record CommittedCheck(int MonitorId, CheckResult? Check, StatusEvent? Event, string DisplayStatus, CommittedAlert? Alert = null)
{
    /// <summary>An agent's location for its <see cref="Check"/>; null for this server's own.</summary>
    public string? Location { get; init; }
}

/// <summary>An alert step that committed: <c>alert.raised</c>, <c>alert.acknowledged</c> or <c>alert.resolved</c>, at <paramref name="Seq"/>.</summary>
internal sealed record CommittedAlert(string Step, long? Seq, Alert Alert);

/// <summary>The data of a <c>check</c> event: enough to move a chart and a "last checked" time.</summary>
/// <summary>A check as the admin socket's <c>check</c> event shows it; <paramref name="Location"/> is where it was made from.</summary>
internal sealed record CheckEventDto(string Monitor, DateTimeOffset At, string Outcome, int? ResponseMs, string Status, string Location);
