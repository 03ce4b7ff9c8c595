using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// Reads the event log back, with the one set of cursor rules every transport resumes by: the public SSE stream and
/// long polling, the admin socket, <c>/api/events</c> and the status page's snapshot. A cursor is an event-log id and
/// a client resumes after it — unless the id is newer than anything in the log (another database, a restored backup),
/// older than what is kept, or more entries than the transport replays came after it: then it gets a reset and
/// reloads. A feed replays what it would have been sent live (<see cref="EventHub"/>'s feeds), minus the live-only
/// events (checks, definition changes), built by the same <see cref="LiveEvents"/> as the live ones.
/// </summary>
internal sealed class JournalReader(IDbContextFactory<UptimeWatchDbContext> dbFactory, LiveEvents build)
{
    /// <summary>The log is read in pages of this many entries; also the most one long poll returns.</summary>
    public const int Page = 500;

    /// <summary>The monitors the public sees: public and not deleted.</summary>
    public static IQueryable<MonitorEntity> PublicMonitors(UptimeWatchDbContext db) =>
        db.Monitors.AsNoTracking().Where(m => m.IsPublic && m.ArchivedAt == null);

    /// <summary>
    /// The cursor a status page snapshot goes live from: the newest entry of a public monitor. Read it before the state,
    /// so a change committed meanwhile is after it and replayed (seen twice is harmless; missed would leave the page wrong).
    /// </summary>
    public static async Task<long> SnapshotCursorAsync(UptimeWatchDbContext db, CancellationToken cancellationToken) =>
        // Newest first, stopping at the first public one: a MAX over all public events grew with the event log.
        await db.StatusEvents.AsNoTracking()
            .Where(e => PublicMonitors(db).Any(m => m.Id == e.MonitorId))
            .OrderByDescending(e => e.Id)
            .Select(e => (long?)e.Id)
            .FirstOrDefaultAsync(cancellationToken) ?? 0;

    /// <summary>The newest id in the log (0 when empty): where a client that has seen everything stands.</summary>
    public async Task<long> NewestIdAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await NewestIdAsync(db, cancellationToken);
    }

    /// <summary>
    /// Null when a client of <paramref name="feed"/> can resume after <paramref name="after"/> by a replay of at most
    /// <paramref name="maxReplay"/> entries; otherwise why it gets a reset (the client must reload).
    /// </summary>
    public async Task<string?> ResetReasonAsync(LiveFeed feed, long after, int maxReplay, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await IsGoneAsync(db, after, cancellationToken) ?? await IsTooFarBehindAsync(db, feed, after, maxReplay, cancellationToken);
    }

    /// <summary>
    /// The entries after <paramref name="after"/>, oldest first, as <paramref name="feed"/> gets them, page by page,
    /// at most <paramref name="maxReplay"/> entries: whatever commits after the caller subscribed to the hub is in its
    /// queue as well (drop it there by id when the replay had it).
    /// </summary>
    public async IAsyncEnumerable<JournalPage> ReplayAsync(LiveFeed feed, long after, int maxReplay,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var left = maxReplay;
        while (left > 0)
        {
            var size = Math.Min(Page, left);
            var page = await ReadAsync(feed, after, size, cancellationToken);
            if (page.Entries == 0)
            {
                yield break;
            }
            yield return page;
            after = page.UpTo;
            left -= page.Entries;
            if (page.Entries < size)
            {
                // Caught up.
                yield break;
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> entries after <paramref name="after"/>, oldest first, as <paramref name="feed"/>
    /// gets them: for the public feeds the status changes of public monitors with their public reasons; for
    /// <see cref="LiveFeed.Everything"/> every monitor's changes with the full reasons and the alert steps (a change that
    /// raised an alert gives <c>status</c> then <c>alert.raised</c>, both with its id).
    /// </summary>
    public async Task<JournalPage> ReadAsync(LiveFeed feed, long after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (feed != LiveFeed.Everything)
        {
            var rows = await PublicRowsAsync(db, after, limit, cancellationToken);
            return new JournalPage([.. rows.Select(r => build.StatusFor(feed, r.Event, r.Slug, r.Name, isPublic: true))], rows.Count,
                rows.Count > 0 ? rows[^1].Event.Id : after);
        }
        return await ReadEverythingAsync(db, after, limit, cancellationToken);
    }

    /// <summary>
    /// Status changes of public, active monitors after <paramref name="after"/>, oldest first, as <c>/api/events</c>
    /// shows them: the public reasons (the full ones with <c>StatusPage:ShowErrorDetails</c>), like the public feeds.
    /// </summary>
    public async Task<List<EventDto>> PublicEventsAfterAsync(long after, int take, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await PublicRowsAsync(db, after, take, cancellationToken);
        return [.. rows.Select(r => build.PublicView(r.Event, r.Slug, r.Name))];
    }

    /// <summary>
    /// Up to <paramref name="limit"/> entries after <paramref name="after"/>, oldest first, as the live publisher publishes
    /// them when they commit (a public monitor's change also as its public copy): what a cluster node's
    /// <see cref="JournalTail"/> hands to its live hub.
    /// </summary>
    public async Task<JournalPage> ReadLiveAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ReadEverythingAsync(db, after, limit, cancellationToken, live: true);
    }

    private async Task<JournalPage> ReadEverythingAsync(UptimeWatchDbContext db, long after, int limit, CancellationToken cancellationToken,
        bool live = false)
    {
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
            return new JournalPage([], 0, after);
        }

        var ids = entries.Select(e => e.Event.Id).ToList();
        var acknowledged = entries.Select(e => e.Event.AlertId).OfType<long>().ToList();
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => ids.Contains(a.RaisedEventId) || (a.ResolvedEventId != null && ids.Contains(a.ResolvedEventId.Value)) || acknowledged.Contains(a.Id))
            .ToListAsync(cancellationToken);

        // In the order the publisher publishes them: the change, then the alert it resolved, then the one it raised.
        var events = new List<LiveEvent>(entries.Count * 2);
        foreach (var entry in entries)
        {
            var e = entry.Event;
            if (e.Kind == EventKind.AlertAcknowledged)
            {
                if (alerts.FirstOrDefault(a => a.Id == e.AlertId) is { } ackd)
                {
                    events.Add(build.Alert("alert.acknowledged", e.Id, ackd, entry.Slug, entry.Name));
                }
                continue;
            }
            if (live)
            {
                build.AddStatus(events, e, entry.Slug, entry.Name, entry.IsPublic);
            }
            else
            {
                events.Add(build.StatusFor(LiveFeed.Everything, e, entry.Slug, entry.Name, entry.IsPublic));
            }
            foreach (var alert in alerts.Where(a => a.ResolvedEventId == e.Id))
            {
                events.Add(build.Alert("alert.resolved", e.Id, alert, entry.Slug, entry.Name));
            }
            foreach (var alert in alerts.Where(a => a.RaisedEventId == e.Id))
            {
                events.Add(build.Alert("alert.raised", e.Id, alert, entry.Slug, entry.Name));
            }
        }
        return new JournalPage(events, entries.Count, entries[^1].Event.Id);
    }

    private static Task<List<PublicEntry>> PublicRowsAsync(UptimeWatchDbContext db, long after, int take, CancellationToken cancellationToken) =>
        PublicEntries(db, after).OrderBy(r => r.Event.Id).Take(take).ToListAsync(cancellationToken);

    /// <summary>The entries a public feed is sent: status changes (not alert steps) of public, active monitors.</summary>
    private static IQueryable<PublicEntry> PublicEntries(UptimeWatchDbContext db, long after) =>
        from e in db.StatusEvents.AsNoTracking()
        join m in PublicMonitors(db) on e.MonitorId equals m.Id
        where e.Id > after && e.Kind == EventKind.Status
        select new PublicEntry { Event = e, Slug = m.Slug, Name = m.Name };

    /// <summary>Null when <paramref name="after"/> is in the log's range, otherwise why it cannot be resumed from.</summary>
    private static async Task<string?> IsGoneAsync(UptimeWatchDbContext db, long after, CancellationToken cancellationToken)
    {
        if (after == 0)
        {
            return null;
        }
        var oldest = await db.StatusEvents.MinAsync(e => (long?)e.Id, cancellationToken);
        var newest = await NewestIdAsync(db, cancellationToken);
        if (after > newest)
        {
            return "the event id is newer than any event here (the server's history was replaced): reload";
        }
        return oldest is { } o && after < o - 1 ? "events after this id are no longer kept: reload" : null;
    }

    /// <summary>
    /// Null when at most <paramref name="maxReplay"/> entries of <paramref name="feed"/> came after <paramref name="after"/>,
    /// otherwise why the client gets a reset. Counting stops one past the limit, so a client a million entries behind
    /// costs what one at the limit does.
    /// </summary>
    private static async Task<string?> IsTooFarBehindAsync(UptimeWatchDbContext db, LiveFeed feed, long after, int maxReplay,
        CancellationToken cancellationToken)
    {
        if (feed == LiveFeed.Everything)
        {
            var missed = await (
                    from e in db.StatusEvents.AsNoTracking()
                    join m in db.Monitors.AsNoTracking() on e.MonitorId equals m.Id
                    where e.Id > after
                    orderby e.Id
                    select e.Id)
                .Take(maxReplay + 1)
                .CountAsync(cancellationToken);
            // The admin socket has no snapshot cursor to go on from: it reloads everything.
            return missed > maxReplay ? $"more than {maxReplay} events were missed: reload" : null;
        }
        var behind = await PublicEntries(db, after)
            .OrderBy(r => r.Event.Id)
            .Select(r => r.Event.Id)
            .Take(maxReplay + 1)
            .CountAsync(cancellationToken);
        return behind > maxReplay
            ? $"more than {maxReplay} events happened after this id: reload the snapshot and continue from the cursor"
            : null;
    }

    private static async Task<long> NewestIdAsync(UptimeWatchDbContext db, CancellationToken cancellationToken) =>
        await db.StatusEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;

    private sealed class PublicEntry
    {
        public required StatusEvent Event { get; init; }
        public required string Slug { get; init; }
        public required string Name { get; init; }
    }
}

/// <summary>
/// One page of a replay: the events of <paramref name="Entries"/> log entries (an entry gives one event or more, or
/// none), and the id of the last entry read (the cursor to read on from; the one given when there were none).
/// </summary>
internal sealed record JournalPage(IReadOnlyList<LiveEvent> Events, int Entries, long UpTo);

/// <summary>The data of a <c>reset</c> event: the client must reload its snapshot and reconnect.</summary>
internal sealed record ResetDto(string Reason);
