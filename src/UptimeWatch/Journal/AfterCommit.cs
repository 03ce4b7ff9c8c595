namespace UptimeWatch.Journal;

/// <summary>
/// Everything that follows a commit, in one place: wake the outbox, log the status changes, count the stored checks,
/// publish to the live hub, and last release whoever waits for one of the writes (so they may next read the live state
/// too). Each part runs on its own: a part that fails is logged and the others still run, and nothing goes back to
/// the writer's retry (that would store the batch a second time).
/// </summary>
/// <remarks>Not sealed: the writer's tests look at the database from <see cref="Publish"/>, to see that it runs only after the commit.</remarks>
internal partial class AfterCommit(ILogger<AfterCommit> logger, LivePublisher? live = null, NotificationSignal? notifications = null,
    Telemetry.UptimeWatchMetrics? metrics = null, JournalTail? tail = null)
{
    /// <param name="waiters">Index for index with <see cref="CommittedBatch.Writes"/>: who waits for each write (null: no one).</param>
    public void Run(CommittedBatch batch, IReadOnlyList<TaskCompletionSource<Committed>?> waiters)
    {
        var steps = batch.Writes;
        if (batch.QueuedNotifications > 0 && notifications is not null)
        {
            Isolated("wake the alert dispatcher (it finds the notifications at its next look)", notifications.Notify);
        }
        Isolated("log the status changes", () =>
        {
            foreach (var step in steps)
            {
                if (step.Event is { Kind: Storage.EventKind.Status } statusEvent && step.Write is { } write)
                {
                    LogStatusChanged(write.Slug, statusEvent.From, statusEvent.To, statusEvent.Reason, statusEvent.Id);
                }
            }
        });
        if (metrics is not null)
        {
            Isolated("count the stored checks", () =>
            {
                foreach (var step in steps)
                {
                    if (step.Write is { } write)
                    {
                        metrics.ChecksStored(write.Slug, write.Checks);
                    }
                }
            });
        }
        if (tail is { Enabled: true })
        {
            // A cluster: every node, this one too, publishes from the log (JournalTail). Waiters are released once this
            // node has published the batch, as below.
            var upTo = steps.Max(s => s.Event?.Id ?? 0);
            if (upTo > 0 && waiters.Any(w => w is not null))
            {
                // A copy: the writer reuses its list of waiters for the next batch.
                var held = waiters.ToArray();
                tail.AfterPublished(upTo, () => Release(steps, held));
                return;
            }
        }
        else
        {
            Isolated("publish the committed checks to live viewers", () => Publish(steps));
        }
        // Last, after the publish: whoever waits on a write may next read the live state too.
        Release(steps, waiters);
    }

    private static void Release(IReadOnlyList<CommittedWrite> steps, IReadOnlyList<TaskCompletionSource<Committed>?> waiters)
    {
        for (var i = 0; i < waiters.Count; i++)
        {
            waiters[i]?.TrySetResult(steps[i].Result());
        }
    }

    /// <summary>Tells signed-in admins whether storage is failing (the console shows a banner meanwhile).</summary>
    public void Announce(StorageStatus status)
    {
        if (live is not null)
        {
            Isolated("tell the admin console about storage", () => live.PublishAdmin("storage", status));
        }
    }

    /// <summary>Hands the committed rows to the live hub.</summary>
    protected virtual void Publish(IReadOnlyList<CommittedWrite> steps)
    {
        if (live is null)
        {
            return;
        }
        var committed = new List<CommittedCheck>(steps.Count);
        foreach (var s in steps)
        {
            if (s.MonitorId is not { } monitorId)
            {
                // About no monitor (a system alert): nothing for live viewers.
                continue;
            }
            committed.Add(new CommittedCheck(monitorId, s.Check,
                s.Event is { Kind: Storage.EventKind.Status } e ? e : null,
                s.Write?.State is { } st ? StatusWords.Display(st.State.Status, st.State.ConsecutiveFailures) : "unknown",
                s.Alert is { } a && s.AlertStep is { } kind ? new CommittedAlert(kind, kind == "alert.raised" ? a.RaisedEventId : s.Event?.Id, a) : null)
            {
                Location = s.Write?.Checks.LastOrDefault()?.Location,
            });
        }
        live.PublishCommitted(committed);
    }

    private void Isolated(string what, Action action)
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

    [LoggerMessage(LogLevel.Information, "{Monitor} is {To} (was {From}): {Reason} [event {StatusEventId}]")]
    private partial void LogStatusChanged(string monitor, Storage.MonitorStatus from, Storage.MonitorStatus to, string reason, long statusEventId);

    [LoggerMessage(LogLevel.Error, "A batch was stored, but the writer could not {What}; it is not stored again")]
    private partial void LogAfterCommitFailed(Exception exception, string what);
}
