using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using UptimeWatch.Monitoring;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Live;

/// <summary>
/// Turns what the writer has just committed into <see cref="LiveEvent"/>s: a <c>status</c> event per status
/// change (same JSON as <c>/api/events</c>, id = event-log id) and a <c>check</c> event per check result, then
/// publishes them. Runs after the commit, so nothing is ever announced that a reload would not show.
/// </summary>
internal sealed class LivePublisher(EventHub hub, MonitorRegistry registry, IOptions<JsonOptions> json, Operations.UptimeWatchMetrics metrics)
{
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public void PublishCommitted(IReadOnlyList<CommittedCheck> committed)
    {
        if (committed.Count == 0)
        {
            return;
        }
        var events = new List<LiveEvent>(committed.Count * 2);
        foreach (var c in committed)
        {
            if (!registry.TryGet(c.MonitorId, out var monitor))
            {
                continue;
            }
            var definition = monitor.Definition;
            if (c.Event is { } e)
            {
                var dto = new EventDto(e.Id, definition.Slug, definition.Name, StatusApi.StatusText(e.From), StatusApi.StatusText(e.To), e.At, e.Reason);
                events.Add(Build(e.Id, "status", definition.Public, dto));
            }
            if (c.Alert is { } alert)
            {
                // Admin only: alerts never go to the public status page.
                events.Add(Build(alert.Seq, alert.Step, false, AdminConsole.AlertViews.From(alert.Alert, definition.Slug, definition.Name)));
            }
            if (c.Check is { } check)
            {
                var dto = new CheckEventDto(definition.Slug, check.At, check.Outcome.ToString().ToLowerInvariant(), check.ResponseMs, c.DisplayStatus);
                events.Add(Build(null, "check", definition.Public, dto));
            }
        }
        Publish(events);
    }

    /// <summary>An admin-only, live-only event (not in the log): a definition changed, the config file was rejected.</summary>
    public void PublishAdmin<T>(string kind, T payload)
    {
        LiveEvent[] events = [Build(null, kind, false, payload)];
        Publish(events);
    }

    private void Publish(IReadOnlyList<LiveEvent> events)
    {
        hub.Publish(events);
        metrics.Published(events);
    }

    /// <summary>Builds an event the way the publisher does, for replays from the log.</summary>
    public LiveEvent Build<T>(long? id, string kind, bool isPublic, T payload)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(payload, _json);
        return new LiveEvent(id, kind, isPublic, data, SseFrame.Build(id, kind, data));
    }
}

/// <summary>What one check committed: its newest result, and the status change it caused, if any.</summary>
internal sealed record CommittedCheck(int MonitorId, CheckResult? Check, StatusEvent? Event, string DisplayStatus, CommittedAlert? Alert = null);

/// <summary>An alert step that committed: <c>alert.raised</c>, <c>alert.acknowledged</c> or <c>alert.resolved</c>, at <paramref name="Seq"/>.</summary>
internal sealed record CommittedAlert(string Step, long? Seq, Alert Alert);

/// <summary>The data of a <c>check</c> event: enough to move a chart and a "last checked" time.</summary>
internal sealed record CheckEventDto(string Monitor, DateTimeOffset At, string Outcome, int? ResponseMs, string Status);
