using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting;

/// <summary>
/// Delivers the outbox. Each channel gets its notifications one at a time, oldest first, so they arrive in the order
/// things happened: a notification that cannot be delivered yet holds back the later ones of its channel (not other
/// channels: each is delivered by its own task, and a receiver that never answers holds up only its own channel until
/// the attempt's deadline) until it goes through, is refused for good, or expires. Every attempt is recorded. Failed attempts are
/// retried with exponential backoff; a restart simply carries on with what is still pending.
/// </summary>
/// <remarks>
/// Delivery is at least once: a crash between a receiver accepting a notification and the outbox recording it sends
/// it again after the restart, with the same <c>Idempotency-Key</c>, so a receiver can drop the repeat.
/// On PostgreSQL every node runs a dispatcher on the one outbox. A node delivers a notification only while it holds
/// the row locked (<c>FOR UPDATE SKIP LOCKED</c>, in a transaction that lasts the attempt), and only the oldest pending
/// row of its channel, so a channel is delivered by one node at a time, in order. A node that dies mid-delivery loses
/// its lock when PostgreSQL sees its connection go (at once for a killed process, <see cref="ClaimGrace"/> past the
/// attempt's deadline for a node that stopped answering): another node then sends the row again, with the same key —
/// the same single repeat a crash gives on one node.
/// </remarks>
internal sealed partial class NotificationDispatcher(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IEnumerable<IChannelSender> senders,
    IOptions<UptimeWatchOptions> options,
    MonitorRegistry registry,
    NotificationSignal signal,
    Canaries canaries,
    LivePublisher live,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    /// <summary>The longest it sleeps without a signal: also how often reminders are looked for.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(15);

    /// <summary>How long a channel rests after its delivery loop failed (the database, not a receiver).</summary>
    private static readonly TimeSpan ChannelRest = TimeSpan.FromSeconds(5);

    /// <summary>
    /// PostgreSQL: how long a node waits before it looks again at a channel whose head another node is delivering. It
    /// bounds how late the next notification of that channel can start after the other node finished (or died).
    /// </summary>
    internal static readonly TimeSpan ClaimPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// PostgreSQL: how long past the attempt's deadline a claim may sit idle before the server ends its session and
    /// frees the row for another node (a node that hangs or lost its network keeps no channel for ever).
    /// </summary>
    internal static readonly TimeSpan ClaimGrace = TimeSpan.FromSeconds(15);

    private readonly AlertingOptions _alerting = options.Value.Alerting;
    private readonly Dictionary<string, IChannelSender> _senders = senders.ToDictionary(s => s.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The channels being delivered right now, each by its own task: a pass starts the channels that have work due and
    /// waits for none of them, so a receiver that never answers holds up only its own channel. Touched only by the loop.
    /// </summary>
    private readonly Dictionary<string, Task<DateTimeOffset?>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// PostgreSQL: channels whose head another node holds, and when to look again. Never filled on SQLite (one node).
    /// Touched only by the loop.
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _heldElsewhere = new(StringComparer.Ordinal);

    /// <summary>
    /// Set when this node's canaries find the internet again: everything that failed while it was cut off is retried at
    /// once rather than at the end of its backoff (up to <c>MaxRetrySeconds</c>), so "this node was offline" and the
    /// alerts held up with it go out as soon as they can.
    /// </summary>
    private int _retryAllNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        canaries.Changed += OnCanariesChanged;
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            canaries.Changed -= OnCanariesChanged;
            // Each channel's task ends on the stopping token; none may outlive the host's services.
            await Task.WhenAll(_inFlight.Values);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                // Reminders are looked for apart: a problem there must never hold up delivery.
                await QueueRemindersAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRemindersFailed(ex);
            }
            try
            {
                if (Interlocked.Exchange(ref _retryAllNow, 0) == 1)
                {
                    await RetryAllNowAsync(stoppingToken);
                }
                var next = await StartDueChannelsAsync(stoppingToken);
                wait = next is { } at ? Clamp(at - time.GetUtcNow()) : Idle;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogLoopFailed(ex);
                wait = ChannelRest;
            }
            // Until a notification is queued, the next one falls due, or a channel's task ends (it may have work left
            // that it did not pick up while it was busy). The wait is on the injected clock, so tests can move it.
            using var woken = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny([signal.WaitAsync(woken.Token), Task.Delay(wait, time, woken.Token), .. _inFlight.Values]);
            await woken.CancelAsync();
        }
    }

    private void OnCanariesChanged(CanaryRound round, DateTimeOffset? cutOffSince)
    {
        if (!round.CutOff)
        {
            Interlocked.Exchange(ref _retryAllNow, 1);
            signal.Notify();
        }
    }

    private async Task RetryAllNowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            var count = await db.Notifications.Where(n => n.State == NotificationState.Pending)
                .ExecuteUpdateAsync(set => set.SetProperty(n => n.NextAttemptAt, now), cancellationToken);
            LogRetryingAllNow(count);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // Tried again on the next pass.
            Interlocked.Exchange(ref _retryAllNow, 1);
            throw;
        }
    }

    private static bool IsStorageFailure(Exception ex) =>
        ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException;

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Idle ? Idle : wait;

    /// <summary>
    /// Starts a delivery task for every channel whose oldest pending notification is due and that has none running;
    /// returns when the next pending one of an idle channel falls due, if any.
    /// </summary>
    private async Task<DateTimeOffset?> StartDueChannelsAsync(CancellationToken stoppingToken)
    {
        foreach (var done in _inFlight.Where(c => c.Value.IsCompleted).Select(c => c.Key).ToList())
        {
            var task = _inFlight[done];
            _inFlight.Remove(done);
            // A channel that failed other than by storage: the dispatcher fails with it, so the process exits with
            // code 1 and the service manager restarts it, instead of a channel that silently stopped.
            if (await task is { } lookAgainAt)
            {
                _heldElsewhere[done] = lookAgainAt;
            }
        }
        var heads = await PendingHeadsAsync(stoppingToken);
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        foreach (var (channel, nextAttemptAt) in heads.Where(h => !_inFlight.ContainsKey(h.Channel)))
        {
            if (_heldElsewhere.TryGetValue(channel, out var held))
            {
                if (held > now)
                {
                    // Another node is delivering this channel: polled, not spun on (its head looks due all along).
                    next = next is null || held < next ? held : next;
                    continue;
                }
                _heldElsewhere.Remove(channel);
            }
            if (nextAttemptAt <= now)
            {
                // On the thread pool: a channel never runs on the loop, not even its synchronous start.
                _inFlight[channel] = Task.Run(() => DeliverChannelGuardedAsync(channel, stoppingToken), CancellationToken.None);
            }
            else if (next is null || nextAttemptAt < next)
            {
                next = nextAttemptAt;
            }
        }
        return next;
    }

    /// <summary>Which channels have pending notifications, and when the oldest of each is due.</summary>
    private async Task<List<(string Channel, DateTimeOffset NextAttemptAt)>> PendingHeadsAsync(CancellationToken cancellationToken)
    {
        // Only which channels have work and when: each channel's loop reads its own head in full.
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var headIds = await db.Notifications.AsNoTracking().Where(n => n.State == NotificationState.Pending)
            .GroupBy(n => n.Channel).Select(g => g.Min(n => n.Id)).ToListAsync(cancellationToken);
        return [.. (await db.Notifications.AsNoTracking().Where(n => headIds.Contains(n.Id))
                .Select(n => new { n.Channel, n.NextAttemptAt }).ToListAsync(cancellationToken))
            .Select(h => (h.Channel, h.NextAttemptAt))];
    }

    /// <summary>
    /// One channel's task: never throws, and after a failure rests before the loop may start it again. Returns when to
    /// look at the channel again if another node holds its head (PostgreSQL), otherwise null.
    /// </summary>
    private async Task<DateTimeOffset?> DeliverChannelGuardedAsync(string channel, CancellationToken stoppingToken)
    {
        try
        {
            return await DeliverChannelAsync(channel, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // Storage (a full disk, a locked database): rest and try again. Receivers' failures never get here
            // (SendAsync turns them into outcomes); anything else is a bug, and faults the dispatcher (below).
            LogChannelFailed(ex, channel);
            try
            {
                await Task.Delay(ChannelRest, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return null;
    }

    /// <summary>
    /// One channel, in order, until nothing is due. Returns null, or on PostgreSQL when to look again because another
    /// node holds the channel's head.
    /// </summary>
    private async Task<DateTimeOffset?> DeliverChannelAsync(string channel, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                switch (await ClaimAndAttemptAsync(db, channel, cancellationToken))
                {
                    case Claim.Attempted:
                        continue;
                    case Claim.HeldElsewhere:
                        return time.GetUtcNow() + ClaimPoll;
                    default:
                        return null;
                }
            }
            var head = await db.Notifications.Where(n => n.State == NotificationState.Pending && n.Channel == channel)
                .OrderBy(n => n.Id).FirstOrDefaultAsync(cancellationToken);
            if (head is null)
            {
                return null;
            }
            if (head.NextAttemptAt > time.GetUtcNow())
            {
                // The loop reads the heads again and knows when this one is due.
                return null;
            }
            await AttemptAsync(db, head, cancellationToken);
        }
    }

    private enum Claim
    {
        Attempted,
        HeldElsewhere,
        NothingDue,
    }

    /// <summary>
    /// PostgreSQL: locks the channel's oldest pending row unless another node holds it, makes one attempt and records
    /// it, all in one transaction, so the lock lasts exactly as long as the attempt and goes with the node if it dies.
    /// </summary>
    private async Task<Claim> ClaimAndAttemptAsync(UptimeWatchDbContext db, string channel, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The server ends a claim left idle longer than an attempt can take: a node that stopped answering while its
        // connection looks open (a partition, a frozen VM) frees its row after a bounded time. A killed process
        // closes its connection, which frees the row at once.
        var idleLimit = ((long)(TimeSpan.FromSeconds(_alerting.Delivery.AttemptTimeoutSeconds) + ClaimGrace).TotalMilliseconds)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        await db.Database.ExecuteSqlAsync($"SELECT set_config('idle_in_transaction_session_timeout', {idleLimit}, true)", cancellationToken);
        // Only the head, found first and then locked by its id: if another node holds it, SKIP LOCKED returns nothing
        // rather than the next row, which would overtake it. Only a head this node has seen and could not lock is
        // "held elsewhere": a row committed after the first read is new work, which the writer's signal (or the end
        // of this channel's task) brings the loop back for at once, not a row to poll for. The state is checked again
        // on the row itself, so a head another node has just finished is not taken a second time.
        const int pending = (int)NotificationState.Pending;
        var headId = await db.Notifications.Where(n => n.State == NotificationState.Pending && n.Channel == channel)
            .OrderBy(n => n.Id).Select(n => (long?)n.Id).FirstOrDefaultAsync(cancellationToken);
        if (headId is null)
        {
            return Claim.NothingDue;
        }
        var head = (await db.Notifications.FromSql($"""
                SELECT * FROM notifications WHERE "Id" = {headId.Value} AND "State" = {pending}
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(cancellationToken)).FirstOrDefault();
        if (head is null)
        {
            return Claim.HeldElsewhere;
        }
        if (head.NextAttemptAt > time.GetUtcNow())
        {
            return Claim.NothingDue;
        }
        await AttemptAsync(db, head, cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return Claim.Attempted;
    }

    private async Task AttemptAsync(UptimeWatchDbContext db, OutboxNotification row, CancellationToken cancellationToken)
    {
        var delivery = _alerting.Delivery;
        var now = time.GetUtcNow();
        var giveUpAt = row.CreatedAt.AddHours(delivery.GiveUpAfterHours);
        var settings = _alerting.Channels.FirstOrDefault(c => c.Name.Equals(row.Channel, StringComparison.OrdinalIgnoreCase));
        if (settings is null || !_senders.TryGetValue(settings.Type, out var sender))
        {
            Finish(row, NotificationState.Failed, now, $"channel \"{row.Channel}\" is no longer configured");
        }
        else if (now >= giveUpAt)
        {
            Finish(row, NotificationState.Expired, now, $"not delivered within {delivery.GiveUpAfterHours} h; last error: {row.LastError}");
        }
        else if (Read(row) is not { } notification)
        {
            // A damaged row (a broken file, a row written by another version) can never be sent: it fails for good
            // instead of holding up its channel, and stays in the outbox with the reason.
            Finish(row, NotificationState.Failed, now, "the stored notification cannot be read (not the JSON this version writes)");
            LogUnreadable(row.Key, row.Channel);
        }
        else
        {
            var watch = Stopwatch.StartNew();
            var outcome = await SendAsync(sender, settings, notification, cancellationToken);
            var at = time.GetUtcNow();
            row.Attempts++;
            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                NotificationId = row.Id, At = at, Delivered = outcome.Delivered, StatusCode = outcome.StatusCode,
                Error = Truncate(outcome.Error), DurationMs = (int)watch.ElapsedMilliseconds,
            });
            if (outcome.Delivered)
            {
                Finish(row, NotificationState.Sent, at, null);
                LogSent(row.Key, row.Attempts);
            }
            else if (outcome.Permanent)
            {
                Finish(row, NotificationState.Failed, at, outcome.Error);
                LogRefused(row.Key, outcome.StatusCode, outcome.Error);
            }
            else
            {
                var backoff = Backoff(row.Attempts, delivery);
                if (outcome.RetryAfter is { } asked && asked > backoff)
                {
                    backoff = asked < TimeSpan.FromSeconds(delivery.MaxRetrySeconds) ? asked : TimeSpan.FromSeconds(delivery.MaxRetrySeconds);
                }
                row.LastError = Truncate(outcome.Error);
                row.NextAttemptAt = at + backoff;
                if (row.NextAttemptAt >= giveUpAt)
                {
                    Finish(row, NotificationState.Expired, at, $"not delivered within {delivery.GiveUpAfterHours} h; last error: {outcome.Error}");
                }
                LogRetry(row.Key, row.Attempts, outcome.StatusCode, outcome.Error, backoff.TotalSeconds);
            }
        }
        // The attempt is recorded even if stopping: it happened.
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private static Notification? Read(OutboxNotification row)
    {
        try
        {
            return NotificationJson.Deserialize(row.Id, row.Payload);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Finish(OutboxNotification row, NotificationState state, DateTimeOffset at, string? error)
    {
        row.State = state;
        row.DoneAt = at;
        row.LastError = Truncate(error);
    }

    /// <summary>First retry after <c>FirstRetrySeconds</c>, each next one twice as late, at most <c>MaxRetrySeconds</c>.</summary>
    public static TimeSpan Backoff(int attempts, DeliveryOptions delivery)
    {
        var seconds = delivery.FirstRetrySeconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, delivery.MaxRetrySeconds));
    }

    /// <summary>One attempt with its own deadline; whatever goes wrong becomes a retryable outcome, never an exception.</summary>
    private async Task<DeliveryOutcome> SendAsync(IChannelSender sender, ChannelSettings channel, Notification notification, CancellationToken stopping)
    {
        var timeout = TimeSpan.FromSeconds(_alerting.Delivery.AttemptTimeoutSeconds);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        try
        {
            return await sender.SendAsync(channel, notification, either.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return new DeliveryOutcome(false, null, $"no answer within {timeout.TotalSeconds} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new DeliveryOutcome(false, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Sends a test notification to one channel at once (not through the outbox: the point is to see the answer).
    /// Null when no channel has this name: the caller says so in its own protocol's words.
    /// </summary>
    public async Task<DeliveryOutcome?> SendTestAsync(string channelName, string by, CancellationToken cancellationToken)
    {
        if (_alerting.Channels.FirstOrDefault(c => c.Name.Equals(channelName, StringComparison.OrdinalIgnoreCase)) is not { } settings)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var notification = new Notification(0, $"test:{now.ToUnixTimeMilliseconds()}:{settings.Name}", 0, "test", "uptimewatch-test",
            "UptimeWatch test", "test", "up", null, $"Test notification sent by {by}: if you can read this, the \"{settings.Name}\" channel works.",
            now, null, _alerting.PublicUrl?.ToString());
        var outcome = await SendAsync(_senders[settings.Type], settings, notification, cancellationToken);
        LogTest(settings.Name, by, outcome.Delivered, outcome.StatusCode, outcome.Error);
        return outcome;
    }

    /// <summary>
    /// Queues a reminder for every open, unacknowledged alert whose monitor asks for them, is down, and whose next
    /// reminder is due. Numbered by how many intervals have passed since the alert was raised, so a reminder is queued once, and a
    /// process that was stopped for a while sends one reminder on start, not one for each interval it missed.
    /// </summary>
    public async Task QueueRemindersAsync(CancellationToken cancellationToken)
    {
        // Only while its status is down: a reminder says "still down". An alert kept open while the monitor is up but
        // flapping (recovery held back, see AlertRules) is not reminded of; one that stays down while its checks flap
        // is, at most once per interval, so flapping cannot multiply reminders.
        var reminding = registry.Active
            .Where(m => m.AlertRules.RemindEveryMinutes > 0 && m.AlertRules.Channels is { Count: > 0 } && m.State.Status == MonitorStatus.Down)
            .ToDictionary(m => m.Id);
        if (reminding.Count == 0)
        {
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = reminding.Keys.ToList();
        var open = await db.Alerts.AsNoTracking()
            .Where(a => a.ResolvedAt == null && a.AcknowledgedAt == null && ids.Contains(a.MonitorId))
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var queued = new List<(Alert Alert, MonitorRuntime Monitor)>();
        foreach (var alert in open)
        {
            var monitor = reminding[alert.MonitorId];
            var every = TimeSpan.FromMinutes(monitor.AlertRules.RemindEveryMinutes);
            var number = (long)Math.Floor((now - alert.RaisedAt) / every);
            if (number < 1)
            {
                continue;
            }
            var definition = monitor.Definition;
            var keys = monitor.AlertRules.Channels!.ToDictionary(c => c, c => $"alert:{alert.Id}:reminder:{number}:{c}");
            var wanted = keys.Values.ToList();
            var existing = await db.Notifications.Where(n => wanted.Contains(n.Key)).Select(n => n.Key).ToListAsync(cancellationToken);
            foreach (var (channel, key) in keys.Where(k => !existing.Contains(k.Value)))
            {
                var status = StatusWords.Text(monitor.State.Status);
                var notification = new Notification(0, key, alert.Id, "reminder", definition.Slug, definition.Name, definition.Target, status, null,
                    alert.Reason, now, alert.RaisedAt, _alerting.PublicUrl?.ToString());
                db.Notifications.Add(new OutboxNotification
                {
                    Key = key, AlertId = alert.Id, MonitorId = alert.MonitorId, Channel = channel, Event = "reminder",
                    Payload = NotificationJson.Serialize(notification), State = NotificationState.Pending, CreatedAt = now, NextAttemptAt = now,
                });
            }
            if (keys.Count > existing.Count)
            {
                queued.Add((alert, monitor));
            }
        }
        if (queued.Count == 0)
        {
            return;
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // PostgreSQL, several nodes: another node queued the same reminder at the same moment. The key is unique,
            // so it is queued once; whatever else this pass had is queued on the next.
            return;
        }
        foreach (var (alert, monitor) in queued)
        {
            LogReminder(monitor.Definition.Slug, alert.Id);
            live.PublishAdmin("alert.reminded", AlertViews.From(alert, monitor.Definition.Slug, monitor.Definition.Name));
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..999] + "…" : text;

    [LoggerMessage(LogLevel.Information, "Notification {Key} delivered (attempt {Attempt})")]
    private partial void LogSent(string key, int attempt);

    [LoggerMessage(LogLevel.Warning, "Notification {Key} attempt {Attempt} failed ({StatusCode}): {Error}; retrying in {DelaySeconds} s")]
    private partial void LogRetry(string key, int attempt, int? statusCode, string? error, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Notification {Key} refused for good ({StatusCode}): {Error}")]
    private partial void LogRefused(string key, int? statusCode, string? error);

    [LoggerMessage(LogLevel.Information, "Reminder queued for {Monitor}, alert {AlertId}")]
    private partial void LogReminder(string monitor, long alertId);

    [LoggerMessage(LogLevel.Information, "Test notification to {Channel} by {By}: delivered {Delivered} ({StatusCode}) {Error}")]
    private partial void LogTest(string channel, string by, bool delivered, int? statusCode, string? error);

    [LoggerMessage(LogLevel.Error, "Notification {Key} to {Channel} cannot be read from the outbox (damaged or from another version): failed for good, the channel goes on")]
    private partial void LogUnreadable(string key, string channel);

    [LoggerMessage(LogLevel.Error, "Looking for due reminders failed; delivery goes on")]
    private partial void LogRemindersFailed(Exception exception);

    [LoggerMessage(LogLevel.Error, "Delivering channel {Channel} failed; it tries again shortly")]
    private partial void LogChannelFailed(Exception exception, string channel);

    [LoggerMessage(LogLevel.Information, "This node reaches the internet again: {Count} pending notification(s) retried now")]
    private partial void LogRetryingAllNow(int count);

    [LoggerMessage(LogLevel.Error, "The notification dispatcher failed; it tries again shortly")]
    private partial void LogLoopFailed(Exception exception);
}
