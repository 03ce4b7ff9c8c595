using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// The only writer of check results, monitor state and status events. Probes hand it their results and go on;
/// it writes whatever has queued up in one transaction, so there is one SQLite writer, never "database is
/// locked", and a status change commits together with the check that caused it.
/// </summary>
/// <remarks>
/// A failed write is retried with backoff (at most <see cref="MaxRetryDelay"/> apart) rather than dropped; while
/// commits keep failing, <see cref="Status"/> says so to <c>/healthz</c> and the admin console. The commit is the last
/// step that can fail a batch: what follows it (signalling, publishing, completing waiters) runs once, whatever
/// happens, so a batch is never applied twice. On shutdown the queue is closed and drained (the scheduler has
/// stopped before this service stops), bounded by the host's shutdown timeout.
/// </remarks>
internal sealed partial class CheckResultWriter : IHostedService, IDisposable
{
    private readonly Channel<StoreWrite> _queue;
    private readonly IDbContextFactory<UptimeWatchDbContext> _dbFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<CheckResultWriter> _logger;
    private readonly int _batchSize;
    private readonly TimeSpan _window;
    private readonly TimeSpan _unhealthyAfter;
    private readonly CancellationTokenSource _abort = new();
    private Task _loop = Task.CompletedTask;

    // Written by the writer loop only, read by health checks and the console from any thread.
    private volatile WriteFailure? _failure;
    private bool _announced;
    private long _lastFullAtTicks;

    private readonly LivePublisher? _live;
    private readonly NotificationSignal? _notifications;
    private readonly Operations.UptimeWatchMetrics? _metrics;
    private readonly Uri? _publicUrl;

    public CheckResultWriter(IOptions<UptimeWatchOptions> options, IDbContextFactory<UptimeWatchDbContext> dbFactory,
        TimeProvider time, ILogger<CheckResultWriter> logger, LivePublisher? live = null, NotificationSignal? notifications = null,
        Operations.UptimeWatchMetrics? metrics = null)
    {
        _metrics = metrics;
        _live = live;
        _notifications = notifications;
        _publicUrl = options.Value.Alerting.PublicUrl;
        _dbFactory = dbFactory;
        _time = time;
        _logger = logger;
        _batchSize = options.Value.Storage.WriteBatchSize;
        _window = TimeSpan.FromMilliseconds(options.Value.Storage.WriteWindowMilliseconds);
        _unhealthyAfter = TimeSpan.FromSeconds(options.Value.Storage.UnhealthyAfterSeconds);
        _queue = Channel.CreateBounded<StoreWrite>(new BoundedChannelOptions(options.Value.Storage.WriteQueueCapacity)
        {
            SingleReader = true,
            // A full queue means the disk cannot keep up: probes wait rather than memory growing without bound.
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>How many writes are waiting for the database.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>
    /// The longest wait between two attempts at a failing commit: once space comes back (a full disk), writing
    /// resumes within this long. Retrying more often costs one failed transaction per attempt, nothing more.
    /// </summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>The failure of the commits since the last one that succeeded; null while they succeed.</summary>
    public WriteFailure? CurrentFailure => _failure;

    /// <summary>How long commits may fail before storage counts as failing (<c>Storage:UnhealthyAfterSeconds</c>).</summary>
    public TimeSpan UnhealthyAfter => _unhealthyAfter;

    /// <summary>Failing once commits have failed without a success for <see cref="UnhealthyAfter"/>: what <c>/healthz</c> and the console show.</summary>
    public StorageStatus Status()
    {
        var failure = _failure;
        return failure is not null && _time.GetUtcNow() - failure.Since >= _unhealthyAfter
            ? new StorageStatus(true, failure.Since, failure.Error)
            : StorageStatus.Ok;
    }

    /// <summary>When a check last had to wait for room in the queue (it was full); null if that never happened.</summary>
    public DateTimeOffset? LastFullAt => Interlocked.Read(ref _lastFullAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Queues one check's writes. Returns at once unless the queue is full.</summary>
    public ValueTask EnqueueAsync(StoreWrite write, CancellationToken cancellationToken)
    {
        if (_queue.Writer.TryWrite(write))
        {
            return ValueTask.CompletedTask;
        }
        Interlocked.Exchange(ref _lastFullAtTicks, _time.GetUtcNow().UtcTicks);
        return _queue.Writer.WriteAsync(write, cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogShutdownTimedOut(_queue.Reader.Count);
            await _abort.CancelAsync();
        }
    }

    public void Dispose() => _abort.Dispose();

    private async Task RunAsync()
    {
        var batch = new List<StoreWrite>(_batchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            if (!Take(batch, reader) && _window > TimeSpan.Zero)
            {
                await GatherAsync(batch, reader);
            }
            await WriteWithRetryAsync(batch);
            batch.Clear();
        }
    }

    /// <summary>Moves what is queued into the batch; true when the batch must be written now (full, or urgent).</summary>
    private bool Take(List<StoreWrite> batch, ChannelReader<StoreWrite> reader)
    {
        var now = false;
        while (batch.Count < _batchSize && reader.TryRead(out var write))
        {
            batch.Add(write);
            now |= IsUrgent(write);
        }
        return now || batch.Count >= _batchSize;
    }

    /// <summary>
    /// A routine check result waits up to the write window for others to share its transaction: at a steady
    /// trickle every check would otherwise be a commit of its own, writing the same pages to the WAL again each time.
    /// Anything someone is waiting for or should hear about at once ends the wait.
    /// </summary>
    private async Task GatherAsync(List<StoreWrite> batch, ChannelReader<StoreWrite> reader)
    {
        var window = Task.Delay(_window, _time, _abort.Token);
        while (true)
        {
            var more = reader.WaitToReadAsync(CancellationToken.None);
            bool open;
            if (more.IsCompleted)
            {
                open = more.Result;
            }
            else
            {
                var next = more.AsTask();
                if (await Task.WhenAny(next, window) == window)
                {
                    return;
                }
                open = await next;
            }
            if (!open || Take(batch, reader))
            {
                // Closed (shutting down: write what there is), full, or urgent.
                return;
            }
        }
    }

    private static bool IsUrgent(StoreWrite write) => write is not CheckWrite { Change: null, Stored: null };

    private async Task WriteWithRetryAsync(List<StoreWrite> batch)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            Committed committed;
            try
            {
                committed = await CommitAsync(batch, _abort.Token);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                Abandon(batch);
                return;
            }
            catch (Exception ex)
            {
                // Any failure before the commit rolled the whole batch back, so trying it again is always safe; giving up
                // would lose checks, and an exception left to end this loop would stop every later write.
                // The wait starts before the failure is counted: whoever sees the count (a test moving a fake clock)
                // knows the wait is already running.
                var retry = Task.Delay(delay, _time, _abort.Token);
                Failed(ex, batch.Count, attempt, delay);
                try
                {
                    await retry;
                }
                catch (OperationCanceledException)
                {
                    Abandon(batch);
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                continue;
            }
            Succeeded();
            // Outside the retry: the batch is in the database now, whatever happens next.
            AfterCommit(batch, committed);
            return;
        }
    }

    private void Failed(Exception exception, int count, int attempt, TimeSpan delay)
    {
        _metrics?.StorageWriteFailed();
        var now = _time.GetUtcNow();
        var error = Describe(exception);
        var failure = _failure = _failure is { } ongoing ? ongoing with { Error = error, Attempts = ongoing.Attempts + 1 } : new WriteFailure(now, error, 1);
        if (attempt == 1)
        {
            LogWriteFailed(exception, count, attempt, delay.TotalSeconds);
        }
        else
        {
            // The stack trace was logged with the first attempt; a disk full for an hour would repeat it 1,800 times.
            LogWriteStillFailing(count, attempt, delay.TotalSeconds, error);
        }
        if (!_announced && now - failure.Since >= _unhealthyAfter)
        {
            _announced = true;
            LogStorageFailing(failure.Since, failure.Error);
            Announce(new StorageStatus(true, failure.Since, failure.Error));
        }
    }

    private void Succeeded()
    {
        if (_failure is not { } failure)
        {
            return;
        }
        _failure = null;
        LogWritesResumed(failure.Since, failure.Attempts);
        if (_announced)
        {
            _announced = false;
            Announce(StorageStatus.Ok);
        }
    }

    /// <summary>Tells signed-in admins (the console shows a banner while storage is failing).</summary>
    private void Announce(StorageStatus status)
    {
        try
        {
            _live?.PublishAdmin("storage", status);
        }
        catch (Exception ex)
        {
            LogAfterCommitFailed(ex, "tell the admin console about storage");
        }
    }

    /// <summary>The innermost message: a <see cref="DbUpdateException"/> itself only says "see the inner exception".</summary>
    private static string Describe(Exception exception) => Truncate(exception.GetBaseException().Message) ?? exception.GetType().Name;

    /// <summary>
    /// Writes the batch in one transaction and commits it. Everything that can fail the batch happens here; nothing
    /// here is seen outside the database until the commit, so a failed attempt can simply be made again.
    /// </summary>
    private async Task<Committed> CommitAsync(List<StoreWrite> batch, CancellationToken cancellationToken)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        // One transaction, all or nothing: savepoints around each SaveChanges inside it would only add statements.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

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
        // First pass: check rows and event-log rows, in queue order (their ids are the order clients see).
        var steps = new List<Step>(batch.Count);
        var latestState = new Dictionary<int, StateSnapshot>();
        foreach (var item in batch)
        {
            switch (item)
            {
                case CheckWrite write:
                    steps.Add(AddCheckWrite(db, write, open, latestState));
                    break;
                case AlertAcknowledgement ack:
                    steps.Add(await AddAcknowledgementAsync(db, ack, latestState, cancellationToken));
                    break;
                case MonitorArchived archived:
                    steps.Add(new Step(archived.MonitorId, null, null, null, open.Remove(archived.MonitorId, out var closing) ? closing : null,
                        "alert.resolved", $"monitor deleted by {archived.By}", archived.At));
                    break;
            }
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
        var queued = QueueNotifications(db, steps, open);
        if (queued > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new Committed(steps, queued);
    }

    /// <summary>What a commit wrote: the steps to announce, and how many notifications went into the outbox.</summary>
    private sealed record Committed(List<Step> Steps, int QueuedNotifications);

    /// <summary>
    /// Everything that follows a commit, each part on its own: a part that fails is logged and the others still run,
    /// and nothing goes back to the retry loop (that would store the batch a second time). Waiters are always released.
    /// </summary>
    private void AfterCommit(List<StoreWrite> batch, Committed committed)
    {
        var steps = committed.Steps;
        if (committed.QueuedNotifications > 0 && _notifications is { } notifications)
        {
            AfterCommit("wake the alert dispatcher (it finds the notifications at its next look)", notifications.Notify);
        }
        AfterCommit("log the status changes", () =>
        {
            foreach (var step in steps)
            {
                if (step.Event is { Kind: EventKind.Status } statusEvent && step.Write is { } write)
                {
                    LogStatusChanged(write.Slug, statusEvent.From, statusEvent.To, statusEvent.Reason, statusEvent.Id);
                }
            }
        });
        if (_metrics is { } metrics)
        {
            AfterCommit("count the stored checks", () =>
            {
                foreach (var write in batch.OfType<CheckWrite>())
                {
                    metrics.ChecksStored(write.Slug, write.Checks);
                }
            });
        }
        foreach (var item in batch)
        {
            switch (item)
            {
                case AlertAcknowledgement ack:
                    ack.Done.TrySetResult(steps.FirstOrDefault(s => s.Ack == ack)?.Alert);
                    break;
                case MonitorArchived archived:
                    archived.Done.TrySetResult();
                    break;
            }
        }
        if (_live is { } live)
        {
            AfterCommit("publish the committed checks to live viewers", () => live.PublishCommitted(steps.Select(s => new CommittedCheck(s.MonitorId, s.Check,
                    s.Event is { Kind: EventKind.Status } e ? e : null,
                    s.Write?.State is { } st ? StatusWords.Display(st.State.Status, st.State.ConsecutiveFailures) : "unknown",
                    s.Alert is { } a && s.AlertStep is { } kind ? new CommittedAlert(kind, kind == "alert.raised" ? a.RaisedEventId : s.Event?.Id, a) : null))
                .ToList()));
        }
        // Last, after the publish: whoever waits on a write may next read the live state too.
        foreach (var item in batch)
        {
            (item as CheckWrite)?.Stored?.TrySetResult();
        }
    }

    private void AfterCommit(string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            LogAfterCommitFailed(ex, what);
        }
    }

    private int QueueNotifications(UptimeWatchDbContext db, List<Step> steps, Dictionary<int, Alert> open)
    {
        var queued = 0;
        var now = _time.GetUtcNow();
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

    /// <summary>What one queued write became: the rows to publish, and the alert step it took, if any.</summary>
    private sealed record Step(int MonitorId, CheckWrite? Write, CheckResult? Check, StatusEvent? Event, Alert? Alert, string? AlertStep,
        string? Detail, DateTimeOffset At)
    {
        public AlertAcknowledgement? Ack { get; init; }
    }

    private static Step AddCheckWrite(UptimeWatchDbContext db, CheckWrite write, Dictionary<int, Alert> open, Dictionary<int, StateSnapshot> latestState)
    {
        CheckResult? lastCheck = null;
        foreach (var check in write.Checks)
        {
            db.CheckResults.Add(lastCheck = new CheckResult
            {
                MonitorId = write.MonitorId, At = check.At, Outcome = check.Outcome,
                ResponseMs = check.ResponseMs, HttpStatus = check.HttpStatus, Error = Truncate(check.Error), Category = check.Category,
                DnsMs = check.Timings?.DnsMs, ConnectMs = check.Timings?.ConnectMs, TlsMs = check.Timings?.TlsMs,
                FirstByteMs = check.Timings?.FirstByteMs, CertificateDaysLeft = check.CertificateDaysLeft,
                InMaintenance = check.InMaintenance,
            });
        }
        if (write.State is { } state)
        {
            // A pause or resume does not carry a check time: keep the one of a check earlier in the batch.
            latestState[write.MonitorId] = state.LastCheckedAt is null && latestState.TryGetValue(write.MonitorId, out var earlier)
                ? state with { LastCheckedAt = earlier.LastCheckedAt, LastResponseMs = earlier.LastResponseMs }
                : state;
        }
        var shown = lastCheck is { Outcome: not CheckOutcome.Missed } ? lastCheck : null;
        if (write.Change is not { } change)
        {
            return new Step(write.MonitorId, write, shown, null, null, null, null, default);
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
            return new Step(write.MonitorId, write, shown, statusEvent, alert, "alert.raised", null, change.At);
        }
        if (incident == IncidentStep.Resolve && open.Remove(write.MonitorId, out var resolved))
        {
            return new Step(write.MonitorId, write, shown, statusEvent, resolved, "alert.resolved", change.Reason, change.At);
        }
        return new Step(write.MonitorId, write, shown, statusEvent, null, null, null, change.At);
    }

    private static async Task<Step> AddAcknowledgementAsync(UptimeWatchDbContext db, AlertAcknowledgement ack, Dictionary<int, StateSnapshot> latestState, CancellationToken cancellationToken)
    {
        // Tracked once per context: an alert already loaded as some monitor's open alert is that same instance.
        var alert = await db.Alerts.FindAsync([ack.AlertId], cancellationToken);
        if (alert is null || alert.AcknowledgedAt is not null)
        {
            // Nothing to write: no such alert, or acknowledged before (the first acknowledgement stays).
            return new Step(alert?.MonitorId ?? 0, null, null, null, null, null, null, ack.At) { Ack = ack, Alert = alert };
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
        return new Step(alert.MonitorId, null, null, entry, alert, "alert.acknowledged", ack.By, ack.At) { Ack = ack };
    }

    private void Abandon(List<StoreWrite> batch)
    {
        LogAbandoned(batch.Count);
        foreach (var item in batch)
        {
            switch (item)
            {
                case AlertAcknowledgement ack:
                    ack.Done.TrySetCanceled();
                    break;
                case MonitorArchived archived:
                    archived.Done.TrySetCanceled();
                    break;
                case CheckWrite write:
                    write.Stored?.TrySetCanceled();
                    break;
            }
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..999] + "…" : text;

    [LoggerMessage(LogLevel.Information, "{Monitor} is {To} (was {From}): {Reason} [event {StatusEventId}]")]
    private partial void LogStatusChanged(string monitor, Storage.MonitorStatus from, Storage.MonitorStatus to, string reason, long statusEventId);

    [LoggerMessage(LogLevel.Error, "Could not store {Count} check results (attempt {Attempt}); retrying in {DelaySeconds} s")]
    private partial void LogWriteFailed(Exception exception, int count, int attempt, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Still cannot store {Count} check results (attempt {Attempt}); retrying in {DelaySeconds} s: {Error}")]
    private partial void LogWriteStillFailing(int count, int attempt, double delaySeconds, string error);

    [LoggerMessage(LogLevel.Critical, "Storage is failing: no commit has succeeded since {Since}: {Error}. Checks wait in memory until the queue is full")]
    private partial void LogStorageFailing(DateTimeOffset since, string error);

    [LoggerMessage(LogLevel.Warning, "Writes resumed; they had failed since {Since} ({Attempts} failed attempts)")]
    private partial void LogWritesResumed(DateTimeOffset since, int attempts);

    [LoggerMessage(LogLevel.Error, "A batch was stored, but the writer could not {What}; it is not stored again")]
    private partial void LogAfterCommitFailed(Exception exception, string what);

    [LoggerMessage(LogLevel.Error, "Shutdown timed out with {Count} check results not yet stored")]
    private partial void LogShutdownTimedOut(int count);

    [LoggerMessage(LogLevel.Error, "Gave up storing {Count} check results at shutdown")]
    private partial void LogAbandoned(int count);
}

/// <summary>Commits failing since <paramref name="Since"/>, the latest with <paramref name="Error"/>.</summary>
internal sealed record WriteFailure(DateTimeOffset Since, string Error, int Attempts);

/// <summary>The <c>storage</c> push and the <c>storage.status</c> reply: whether writes have been failing too long, since when and why.</summary>
internal sealed record StorageStatus(bool Failing, DateTimeOffset? Since, string? Error)
{
    public static readonly StorageStatus Ok = new(false, null, null);
}
