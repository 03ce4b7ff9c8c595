using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// Persists one batch of writes in one transaction and returns what committed: the rows, their event ids, the alert
/// steps taken and how many notifications went into the outbox. Nothing else: nothing here is seen outside the
/// database, so a failed attempt can simply be made again (the <see cref="JournalWriter"/> retries), and what the
/// commit means for everyone else is the <see cref="AfterCommit"/> step's business.
/// </summary>
internal sealed class BatchWriter(IDbContextFactory<UptimeWatchDbContext> dbFactory, IOptions<UptimeWatchOptions> options)
{
    private readonly Uri? _publicUrl = options.Value.Alerting.PublicUrl;
    private readonly bool _cluster = options.Value.Storage.IsPostgres;

    /// <summary>Writes <paramref name="batch"/> and commits; throws (rolled back) if any of it fails.</summary>
    /// <param name="now">When the outbox rows are created (the writer's clock).</param>
    public async Task<CommittedBatch> CommitAsync(IReadOnlyList<JournalWrite> batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        // One transaction, all or nothing: savepoints around each SaveChanges inside it would only add statements.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (_cluster)
        {
            // Several nodes append to one log: ids come from a sequence, so without this id 10 could commit before 9 and
            // a reader at cursor 10 would never see 9. Appends take turns instead (held until commit), so ids commit in order.
            await db.Database.ExecuteSqlRawAsync(JournalTail.TakeAppendLock, cancellationToken);
        }

        // The open alert of every monitor whose status changes here: a change may raise or resolve one.
        var changing = batch.Select(w => w switch
        {
            CheckWrite { Change: not null } c => c.MonitorId,
            MonitorArchived a => a.MonitorId,
            _ => (int?)null,
        }).OfType<int>().Distinct().ToList();
        var open = new Dictionary<int, Alert>();
        if (changing.Count > 0)
        {
            foreach (var alert in await db.Alerts.Where(a => changing.Contains(a.MonitorId) && a.ResolvedAt == null).OrderBy(a => a.Id).ToListAsync(cancellationToken))
            {
                open[alert.MonitorId] = alert;
            }
        }

        // Entities are built fresh on every attempt so a failed attempt leaves nothing behind to confuse the next.
        // First pass: check rows and event-log rows, in queue order (their ids are the order clients see); one step per write.
        var steps = new List<CommittedWrite>(batch.Count);
        var latestState = new Dictionary<int, StateSnapshot>();
        var storedSlots = await StoredSlotsAsync(db, batch, cancellationToken);
        var held = _cluster ? await HeldAsync(db, batch, cancellationToken) : [];
        foreach (var item in batch)
        {
            steps.Add(item switch
            {
                CheckWrite write => AddCheckWrite(db, Hold(write, held), open, latestState, storedSlots),
                AlertAcknowledgement ack => await AddAcknowledgementAsync(db, ack, latestState, cancellationToken),
                SystemAlert alert => AddSystemAlert(db, alert, now),
                MonitorArchived archived => new CommittedWrite(archived.MonitorId, null, null, null,
                    open.Remove(archived.MonitorId, out var closing) ? closing : null, "alert.resolved", $"monitor deleted by {archived.By}", archived.At),
                _ => throw new NotSupportedException($"The Journal cannot store a {item.GetType().Name}"),
            });
        }

        foreach (var (monitorId, state) in latestState)
        {
            // Only the runtime columns are marked modified: the definition columns belong to the config sync.
            var stub = new MonitorEntity { Id = monitorId, Slug = "", Name = "", Type = "", Target = "", Definition = "", Source = "" };
            var entry = db.Monitors.Attach(stub);
            void Set<T>(System.Linq.Expressions.Expression<Func<MonitorEntity, T>> property, T value)
            {
                var p = entry.Property(property);
                p.CurrentValue = value;
                p.IsModified = true;
            }
            Set(m => m.Status, state.State.Status);
            Set(m => m.BaseStatus, state.State.Base);
            Set(m => m.StatusSince, state.StatusSince);
            Set(m => m.ConsecutiveFailures, state.State.ConsecutiveFailures);
            Set(m => m.ConsecutiveSuccesses, state.State.ConsecutiveSuccesses);
            Set(m => m.VerdictHistory, state.State.History);
            Set(m => m.IsFlapping, state.State.Flapping);
            if (state.LastCheckedAt is not null)
            {
                Set(m => m.LastCheckedAt, state.LastCheckedAt);
                Set(m => m.LastResponseMs, state.LastResponseMs);
            }
            Set(m => m.LastHeartbeatAt, state.LastHeartbeatAt);
        }

        await db.SaveChangesAsync(cancellationToken);

        // Second pass: alerts point at the event-log rows that now have ids.
        var alerts = false;
        foreach (var step in steps)
        {
            if (step.Alert is not { } alert)
            {
                continue;
            }
            alerts = true;
            switch (step.AlertStep)
            {
                case "alert.raised":
                    alert.RaisedEventId = step.Event!.Id;
                    db.Alerts.Add(alert);
                    break;
                case "alert.resolved":
                    alert.ResolvedAt = step.At;
                    alert.ResolvedEventId = step.Event?.Id;
                    alert.ResolvedReason = Truncate(step.Detail);
                    break;
                case "alert.acknowledged":
                    alert.AcknowledgedAt = step.At;
                    alert.AcknowledgedBy = step.Detail;
                    alert.AcknowledgedEventId = step.Event!.Id;
                    break;
            }
        }
        if (alerts)
        {
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(cancellationToken);
        }

        // Third pass: the outbox, now that alerts have ids, in the same transaction as the changes that call for it.
        var queued = QueueNotifications(db, steps, open, now) + batch.OfType<SystemAlert>().Sum(a => a.Channels.Count);
        if (queued > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        if (_cluster)
        {
            // Every node's live viewers hear of it (delivered on commit, in commit order): see JournalTail.
            await JournalNotice.SendAsync(db, steps, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new CommittedBatch(steps, queued);
    }

    /// <summary>A system alert's outbox rows, one per channel; its keys make a second queueing of the same alert a no-op.</summary>
    private CommittedWrite AddSystemAlert(UptimeWatchDbContext db, SystemAlert alert, DateTimeOffset now)
    {
        foreach (var channel in alert.Channels)
        {
            var key = $"{alert.Key}:{channel}";
            var notification = new Notification(0, key, 0, alert.Event, "", alert.Subject, "", alert.Status, null, alert.Reason, alert.At, null,
                _publicUrl?.ToString());
            db.Notifications.Add(new OutboxNotification
            {
                Key = key, AlertId = null, MonitorId = null, Channel = channel, Event = alert.Event,
                Payload = NotificationJson.Serialize(notification), State = NotificationState.Pending,
                CreatedAt = now, NextAttemptAt = now,
            });
        }
        // About no monitor: nothing for live viewers (no check, no event-log row), only the outbox to wake.
        return new CommittedWrite(null, null, null, null, null, null, null, alert.At);
    }

    private int QueueNotifications(UptimeWatchDbContext db, List<CommittedWrite> steps, Dictionary<int, Alert> open, DateTimeOffset now)
    {
        var queued = 0;
        foreach (var step in steps)
        {
            if (step.Write is not { Notify: { } plan, Change: { } change } write || step.Event is not { } statusEvent)
            {
                continue;
            }
            var taken = step.AlertStep switch { "alert.raised" => IncidentStep.Raise, "alert.resolved" => IncidentStep.Resolve, _ => IncidentStep.None };
            // The incident it belongs to: the one it raised or resolved, or the one still open (flapping started while down).
            var alert = step.Alert ?? open.GetValueOrDefault(write.MonitorId);
            foreach (var kind in plan.EventsFor(change, taken))
            {
                foreach (var channel in plan.Channels)
                {
                    // Unique: one incident step (or one status change) is queued once per channel, whatever happens.
                    var key = step.Alert is not null
                        ? $"alert:{step.Alert.Id}:{kind}:{channel}"
                        : $"event:{statusEvent.Id}:{kind}:{channel}";
                    var notification = new Notification(0, key, alert?.Id ?? 0, kind, write.Slug, plan.MonitorName, plan.Target,
                        StatusWords.Text(change.To), StatusWords.Text(change.From), statusEvent.Reason, statusEvent.At,
                        alert?.RaisedAt, _publicUrl?.ToString());
                    db.Notifications.Add(new OutboxNotification
                    {
                        Key = key, AlertId = alert is { Id: > 0 } ? alert.Id : null, MonitorId = write.MonitorId, Channel = channel, Event = kind,
                        Payload = NotificationJson.Serialize(notification), State = NotificationState.Pending,
                        CreatedAt = now, NextAttemptAt = now,
                    });
                    queued++;
                }
            }
        }
        return queued;
    }

    /// <summary>
    /// The (monitor, location, slot) keys of this batch already stored: on a cluster by another node (a slot declared
    /// missed that then ran after all, a recovered window, a window two nodes ran while the database was away), with the
    /// stored row's id when it only says "missed"; from a probe agent, a message it sent again after a lost ack. They are
    /// skipped rather than left to the unique key, whose violation would roll back the whole batch. Nothing to read for
    /// a single node's own checks: they carry no slot.
    /// </summary>
    private static async Task<Dictionary<(int, int, DateTimeOffset), StoredSlot>> StoredSlotsAsync(UptimeWatchDbContext db,
        IReadOnlyList<JournalWrite> batch, CancellationToken cancellationToken)
    {
        var slotted = batch.OfType<CheckWrite>()
            .SelectMany(w => w.Checks.Where(c => c.Slot is not null).Select(c => (w.MonitorId, c.LocationId, Slot: c.Slot!.Value))).ToList();
        if (slotted.Count == 0)
        {
            return [];
        }
        var ids = slotted.Select(s => s.MonitorId).Distinct().ToList();
        var locations = slotted.Select(s => s.LocationId).Distinct().ToList();
        DateTimeOffset? from = slotted.Min(s => s.Slot), to = slotted.Max(s => s.Slot);
        var stored = await db.CheckResults.AsNoTracking()
            .Where(c => ids.Contains(c.MonitorId) && locations.Contains(c.LocationId) && c.Slot >= from && c.Slot <= to)
            .Select(c => new { c.Id, c.MonitorId, c.LocationId, c.Slot, c.Outcome })
            .ToListAsync(cancellationToken);
        return stored.ToDictionary(s => (s.MonitorId, s.LocationId, s.Slot!.Value), s => new StoredSlot(s.Outcome == CheckOutcome.Missed ? s.Id : null, null));
    }

    /// <summary>A slot already taken: by a stored row (its id when it is only a "missed"), or by a check added earlier in the batch.</summary>
    private sealed record StoredSlot(long? MissedRowId, CheckResult? Added);

    /// <summary>
    /// Cluster only: the monitors of this batch's checks that the database has paused or deleted, with the time of that
    /// pause or deletion. A node hears of a change made on another node a moment later (a notice, then a reload), and a
    /// check it started meanwhile, or had in flight, reaches this writer after the change committed. Appends take turns,
    /// so the read is current. A monitor resumed in this batch is not held: its own writes come after the resume.
    /// </summary>
    private static async Task<Dictionary<int, DateTimeOffset>> HeldAsync(UptimeWatchDbContext db, IReadOnlyList<JournalWrite> batch,
        CancellationToken cancellationToken)
    {
        var checks = batch.OfType<CheckWrite>().ToList();
        var resumed = checks.Where(w => w.Change?.From == MonitorStatus.Paused).Select(w => w.MonitorId).ToHashSet();
        var ids = checks.Select(w => w.MonitorId).Where(id => !resumed.Contains(id)).Distinct().ToList();
        if (ids.Count == 0)
        {
            return [];
        }
        var rows = await db.Monitors.AsNoTracking()
            .Where(m => ids.Contains(m.Id) && (m.Status == MonitorStatus.Paused || m.ArchivedAt != null))
            .Select(m => new { m.Id, m.Status, m.StatusSince, m.ArchivedAt })
            .ToListAsync(cancellationToken);
        // The earlier of the pause and the deletion (the query found at least one).
        return rows.ToDictionary(r => r.Id, r =>
        {
            var paused = r.Status == MonitorStatus.Paused ? r.StatusSince ?? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;
            return r.ArchivedAt is { } archived && archived < paused ? archived : paused;
        });
    }

    /// <summary>
    /// A check of a monitor paused or deleted (<see cref="HeldAsync"/>): one started after the change is not stored, one
    /// started before keeps its row; neither moves the monitor's state, raises or resolves anything, or is shown live as
    /// its current status. The pause or deletion stands as stored.
    /// </summary>
    private static CheckWrite Hold(CheckWrite write, Dictionary<int, DateTimeOffset> held) =>
        held.TryGetValue(write.MonitorId, out var since)
            ? write with { Checks = [.. write.Checks.Where(c => c.At < since)], State = null, Change = null, Notify = null }
            : write;

    private static CommittedWrite AddCheckWrite(UptimeWatchDbContext db, CheckWrite write, Dictionary<int, Alert> open, Dictionary<int, StateSnapshot> latestState,
        Dictionary<(int, int, DateTimeOffset), StoredSlot> storedSlots)
    {
        CheckResult? lastCheck = null;
        foreach (var check in write.Checks)
        {
            var row = new CheckResult
            {
                MonitorId = write.MonitorId, At = check.At, Outcome = check.Outcome,
                ResponseMs = check.ResponseMs, HttpStatus = check.HttpStatus, Error = Truncate(check.Error), Category = check.Category,
                DnsMs = check.Timings?.DnsMs, ConnectMs = check.Timings?.ConnectMs, TlsMs = check.Timings?.TlsMs,
                FirstByteMs = check.Timings?.FirstByteMs, CertificateDaysLeft = check.CertificateDaysLeft,
                InMaintenance = check.InMaintenance, Slot = check.Slot, Node = check.Node, LocationId = check.LocationId,
            };
            if (check.Slot is { } slot)
            {
                // A slot is stored once. A second record of it is dropped, except that a check that ran replaces a slot
                // recorded only as missed (a node declared it missed while the one that ran it still had it queued).
                if (storedSlots.TryGetValue((write.MonitorId, check.LocationId, slot), out var taken))
                {
                    if (check.Outcome == CheckOutcome.Missed || (taken.MissedRowId is null && taken.Added is not { Outcome: CheckOutcome.Missed }))
                    {
                        continue;
                    }
                    if (taken.Added is { } added)
                    {
                        db.CheckResults.Remove(added);
                    }
                    else
                    {
                        db.CheckResults.Remove(db.CheckResults.Attach(new CheckResult { Id = taken.MissedRowId!.Value, MonitorId = write.MonitorId }).Entity);
                    }
                }
                storedSlots[(write.MonitorId, check.LocationId, slot)] = new StoredSlot(null, row);
            }
            db.CheckResults.Add(lastCheck = row);
        }
        if (write.State is { } state)
        {
            // A pause or resume does not carry a check time: keep the one of a check earlier in the batch.
            latestState[write.MonitorId] = state.LastCheckedAt is null && latestState.TryGetValue(write.MonitorId, out var earlier)
                ? state with { LastCheckedAt = earlier.LastCheckedAt, LastResponseMs = earlier.LastResponseMs }
                : state;
        }
        // A held check (no state) is not the monitor's news: the pause or deletion stands.
        var shown = lastCheck is { Outcome: not CheckOutcome.Missed } && write.State is not null ? lastCheck : null;
        if (write.Change is not { } change)
        {
            return new CommittedWrite(write.MonitorId, write, shown, null, null, null, null, default);
        }

        var statusEvent = new StatusEvent
        {
            MonitorId = write.MonitorId, From = change.From, To = change.To, At = change.At, Reason = Truncate(change.Reason)!,
            Flapping = change.Flapping,
            Category = change.Public?.Category, PublicReason = change.Public?.Text,
        };
        db.StatusEvents.Add(statusEvent);
        // Decided on the alert actually open, not on the change alone: while it flaps an open alert is kept (see AlertRules).
        var incident = AlertRules.Step(change, open.ContainsKey(write.MonitorId));
        if (incident == IncidentStep.Raise)
        {
            var alert = new Alert { MonitorId = write.MonitorId, Kind = AlertRules.DownKind, RaisedAt = change.At, Reason = statusEvent.Reason };
            open[write.MonitorId] = alert;
            return new CommittedWrite(write.MonitorId, write, shown, statusEvent, alert, "alert.raised", null, change.At);
        }
        if (incident == IncidentStep.Resolve && open.Remove(write.MonitorId, out var resolved))
        {
            return new CommittedWrite(write.MonitorId, write, shown, statusEvent, resolved, "alert.resolved", change.Reason, change.At);
        }
        return new CommittedWrite(write.MonitorId, write, shown, statusEvent, null, null, null, change.At);
    }

    private static async Task<CommittedWrite> AddAcknowledgementAsync(UptimeWatchDbContext db, AlertAcknowledgement ack,
        Dictionary<int, StateSnapshot> latestState, CancellationToken cancellationToken)
    {
        // Tracked once per context: an alert already loaded as some monitor's open alert is that same instance.
        var alert = await db.Alerts.FindAsync([ack.AlertId], cancellationToken);
        if (alert is null || alert.AcknowledgedAt is not null)
        {
            // Nothing to write: no such alert, or acknowledged before (the first acknowledgement stays).
            return new CommittedWrite(alert?.MonitorId, null, null, null, alert, null, null, ack.At);
        }
        var status = latestState.TryGetValue(alert.MonitorId, out var state)
            ? state.State.Status
            : await db.Monitors.AsNoTracking().Where(m => m.Id == alert.MonitorId).Select(m => m.Status).FirstAsync(cancellationToken);
        alert.Note = Truncate(ack.Note);
        var entry = new StatusEvent
        {
            MonitorId = alert.MonitorId, From = status, To = status, At = ack.At, Kind = EventKind.AlertAcknowledged, AlertId = alert.Id,
            Reason = Truncate(ack.Note is { Length: > 0 } note ? $"alert acknowledged by {ack.By}: {note}" : $"alert acknowledged by {ack.By}")!,
        };
        db.StatusEvents.Add(entry);
        return new CommittedWrite(alert.MonitorId, null, null, entry, alert, "alert.acknowledged", ack.By, ack.At);
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..999] + "…" : text;
}

/// <summary>What a commit wrote: one <see cref="CommittedWrite"/> per write, in queue order, and how many notifications went into the outbox.</summary>
internal sealed record CommittedBatch(IReadOnlyList<CommittedWrite> Writes, int QueuedNotifications);

/// <summary>
/// What one write became: the check row to show (null for none, or a missed slot), the event-log row, and the alert
/// step it took (<c>alert.raised</c>, <c>alert.resolved</c>, <c>alert.acknowledged</c>) with the alert, if any.
/// <paramref name="MonitorId"/> is null for a write about no monitor (a system alert, an acknowledgement of no such alert).
/// </summary>
internal sealed record CommittedWrite(int? MonitorId, CheckWrite? Write, CheckResult? Check, StatusEvent? Event, Alert? Alert, string? AlertStep,
    string? Detail, DateTimeOffset At)
{
    /// <summary>What its waiter, if it has one, is told.</summary>
    public Committed Result() => new(Event?.Id, Alert);
}
