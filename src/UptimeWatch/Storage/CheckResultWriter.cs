using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Live;
using UptimeWatch.Monitoring;

namespace UptimeWatch.Storage;

/// <summary>
/// The only writer of check results, monitor state and status events. Probes hand it their results and go on;
/// it writes whatever has queued up in one transaction, so there is one SQLite writer, never "database is
/// locked", and a status change commits together with the check that caused it.
/// </summary>
/// <remarks>
/// A failed write is retried with backoff rather than dropped. On shutdown the queue is closed and drained
/// (the scheduler has stopped before this service stops), bounded by the host's shutdown timeout.
/// </remarks>
internal sealed partial class CheckResultWriter : IHostedService, IDisposable
{
    private readonly Channel<CheckWrite> _queue;
    private readonly IDbContextFactory<UptimeWatchDbContext> _dbFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<CheckResultWriter> _logger;
    private readonly int _batchSize;
    private readonly CancellationTokenSource _abort = new();
    private Task _loop = Task.CompletedTask;

    private readonly LivePublisher? _live;

    public CheckResultWriter(IOptions<UptimeWatchOptions> options, IDbContextFactory<UptimeWatchDbContext> dbFactory,
        TimeProvider time, ILogger<CheckResultWriter> logger, LivePublisher? live = null)
    {
        _live = live;
        _dbFactory = dbFactory;
        _time = time;
        _logger = logger;
        _batchSize = options.Value.Storage.WriteBatchSize;
        _queue = Channel.CreateBounded<CheckWrite>(new BoundedChannelOptions(options.Value.Storage.WriteQueueCapacity)
        {
            SingleReader = true,
            // A full queue means the disk cannot keep up: probes wait rather than memory growing without bound.
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>How many writes are waiting for the database.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>Queues one check's writes. Returns at once unless the queue is full.</summary>
    public ValueTask EnqueueAsync(CheckWrite write, CancellationToken cancellationToken) =>
        _queue.Writer.TryWrite(write) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(write, cancellationToken);

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
        var batch = new List<CheckWrite>(_batchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _batchSize && reader.TryRead(out var write))
            {
                batch.Add(write);
            }
            await WriteWithRetryAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteWithRetryAsync(List<CheckWrite> batch)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch, _abort.Token);
                return;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                LogAbandoned(batch.Count);
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                LogWriteFailed(ex, batch.Count, attempt, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, _abort.Token);
                }
                catch (OperationCanceledException)
                {
                    LogAbandoned(batch.Count);
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task WriteAsync(List<CheckWrite> batch, CancellationToken cancellationToken)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        db.ChangeTracker.AutoDetectChangesEnabled = false;

        // Entities are built fresh on every attempt so a failed attempt leaves nothing behind to confuse the next.
        var events = new List<(CheckWrite Write, StatusEvent Event)>();
        var latestState = new Dictionary<int, StateSnapshot>();
        var committed = new List<(CheckWrite Write, CheckResult? Check, StatusEvent? Event)>(batch.Count);
        foreach (var write in batch)
        {
            CheckResult? lastCheck = null;
            StatusEvent? lastEvent = null;
            foreach (var check in write.Checks)
            {
                db.CheckResults.Add(lastCheck = new CheckResult
                {
                    MonitorId = write.MonitorId, At = check.At, Outcome = check.Outcome,
                    ResponseMs = check.ResponseMs, HttpStatus = check.HttpStatus, Error = Truncate(check.Error),
                    DnsMs = check.Timings?.DnsMs, ConnectMs = check.Timings?.ConnectMs, TlsMs = check.Timings?.TlsMs,
                    FirstByteMs = check.Timings?.FirstByteMs, CertificateDaysLeft = check.CertificateDaysLeft,
                    InMaintenance = check.InMaintenance,
                });
            }
            if (write.Change is { } change)
            {
                var statusEvent = new StatusEvent
                {
                    MonitorId = write.MonitorId, From = change.From, To = change.To, At = change.At, Reason = Truncate(change.Reason)!,
                };
                db.StatusEvents.Add(statusEvent);
                events.Add((write, statusEvent));
                lastEvent = statusEvent;
            }
            committed.Add((write, lastCheck is { Outcome: not CheckOutcome.Missed } ? lastCheck : null, lastEvent));
            if (write.State is { } state)
            {
                latestState[write.MonitorId] = state;
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
            Set(m => m.LastCheckedAt, state.LastCheckedAt);
            Set(m => m.LastResponseMs, state.LastResponseMs);
            Set(m => m.LastHeartbeatAt, state.LastHeartbeatAt);
        }

        await db.SaveChangesAsync(cancellationToken);

        foreach (var (write, statusEvent) in events)
        {
            LogStatusChanged(write.Slug, statusEvent.From, statusEvent.To, statusEvent.Reason, statusEvent.Id);
        }
        _live?.PublishCommitted(committed.Select(c => new CommittedCheck(c.Write.MonitorId, c.Check, c.Event,
            c.Write.State is { } s ? StatusPage.StatusApi.DisplayStatus(s.State.Status, s.State.ConsecutiveFailures) : "unknown")).ToList());
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..999] + "…" : text;

    [LoggerMessage(LogLevel.Information, "{Monitor} is {To} (was {From}): {Reason} [event {StatusEventId}]")]
    private partial void LogStatusChanged(string monitor, Storage.MonitorStatus from, Storage.MonitorStatus to, string reason, long statusEventId);

    [LoggerMessage(LogLevel.Error, "Could not store {Count} check results (attempt {Attempt}); retrying in {DelaySeconds} s")]
    private partial void LogWriteFailed(Exception exception, int count, int attempt, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Shutdown timed out with {Count} check results not yet stored")]
    private partial void LogShutdownTimedOut(int count);

    [LoggerMessage(LogLevel.Error, "Gave up storing {Count} check results at shutdown")]
    private partial void LogAbandoned(int count);
}
