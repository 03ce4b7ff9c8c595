using Microsoft.EntityFrameworkCore;
using UptimeWatch.Live;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The admin view of the event log, for <c>subscribe { after }</c>: every monitor's status changes (public or not) and
/// the alert raised/acknowledged/resolved steps, as the same <see cref="LiveEvent"/>s the hub publishes live.
/// </summary>
internal sealed class AdminEventLog(IDbContextFactory<UptimeWatchDbContext> dbFactory, LivePublisher publisher)
{
    /// <summary>Null when <paramref name="after"/> can be resumed from, otherwise why not (the client must reload).</summary>
    public async Task<string?> CheckCursorAsync(long after, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await LiveApi.IsTooOldAsync(db, after, cancellationToken);
    }

    /// <summary>The newest seq in the log (0 when empty): where a client that has seen everything stands.</summary>
    public async Task<long> NewestSeqAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.StatusEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> event-log entries after <paramref name="after"/>, oldest first, each as one or more
    /// events (a status change that raised an alert gives <c>status</c> then <c>alert.raised</c>, both with its seq).
    /// Call again from the last seq returned until an empty list comes back (caught up).
    /// </summary>
    public async Task<IReadOnlyList<LiveEvent>> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entries = await (
                from e in db.StatusEvents.AsNoTracking()
                join m in db.Monitors.AsNoTracking() on e.MonitorId equals m.Id
                where e.Id > after
                orderby e.Id
                select new { Event = e, m.Slug, m.Name, m.IsPublic })
            .Take(limit)
            .ToListAsync(cancellationToken);
        if (entries.Count == 0)
        {
            return [];
        }

        var ids = entries.Select(e => e.Event.Id).ToList();
        var acknowledged = entries.Select(e => e.Event.AlertId).OfType<long>().ToList();
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => ids.Contains(a.RaisedEventId) || (a.ResolvedEventId != null && ids.Contains(a.ResolvedEventId.Value)) || acknowledged.Contains(a.Id))
            .ToListAsync(cancellationToken);

        var events = new List<LiveEvent>(entries.Count * 2);
        foreach (var entry in entries)
        {
            var e = entry.Event;
            if (e.Kind == EventKind.AlertAcknowledged)
            {
                if (alerts.FirstOrDefault(a => a.Id == e.AlertId) is { } ackd)
                {
                    events.Add(publisher.Build(e.Id, "alert.acknowledged", false, AlertViews.From(ackd, entry.Slug, entry.Name)));
                }
                continue;
            }
            events.Add(publisher.Build(e.Id, "status", entry.IsPublic,
                EventDto.Create(e.Id, entry.Slug, entry.Name, e.From, e.To, e.At, e.Reason, e.Category, e.PublicReason, e.Flapping, forPublic: false)));
            foreach (var alert in alerts.Where(a => a.ResolvedEventId == e.Id))
            {
                events.Add(publisher.Build(e.Id, "alert.resolved", false, AlertViews.From(alert, entry.Slug, entry.Name)));
            }
            foreach (var alert in alerts.Where(a => a.RaisedEventId == e.Id))
            {
                events.Add(publisher.Build(e.Id, "alert.raised", false, AlertViews.From(alert, entry.Slug, entry.Name)));
            }
        }
        return events;
    }
}
