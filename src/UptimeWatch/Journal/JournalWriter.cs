using System.Threading.Channels;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Journal;

/// <summary>
/// The only way into the event log: check results, monitor state, status events, acknowledgements. Callers append
/// and go on, or append and wait for the commit; whatever has queued up is written in one transaction, so there is
/// one SQLite writer, never "database is locked", and a status change commits together with the check that caused it.
/// </summary>
/// <remarks>
/// <see cref="BatchWriter"/> persists a batch; a failed attempt is retried with backoff (at most
/// <see cref="MaxRetryDelay"/> apart) rather than dropped, and while commits keep failing <see cref="Status"/> says so
/// to <c>/healthz</c> and the admin console. Once a batch has committed, <see cref="AfterCommit"/> runs once,
/// whatever happens, so a batch is never applied twice. On shutdown the queue is closed and drained (the scheduler
/// has stopped before this service stops), bounded by the host's shutdown timeout; waiters of writes given up are cancelled.
/// </remarks>
internal sealed partial class JournalWriter : IHostedService, IDisposable
{
    private readonly Channel<Queued> _queue;
    private readonly BatchWriter _store;
    private readonly AfterCommit _afterCommit;
    private readonly TimeProvider _time;
    private readonly ILogger<JournalWriter> _logger;
    private readonly Telemetry.UptimeWatchMetrics? _metrics;
    private readonly int _batchSize;
    private readonly TimeSpan _window;
    private readonly TimeSpan _unhealthyAfter;
    private readonly CancellationTokenSource _abort = new();
    private Task _loop = Task.CompletedTask;

    // Written by the writer loop only, read by health checks and the console from any thread.
    private volatile WriteFailure? _failure;
    private volatile WriteOutage? _lastOutage;
    private bool _announced;
    private long _lastFullAtTicks;

    public JournalWriter(IOptions<UptimeWatchOptions> options, BatchWriter store, AfterCommit afterCommit, TimeProvider time,
        ILogger<JournalWriter> logger, Telemetry.UptimeWatchMetrics? metrics = null)
    {
        _store = store;
        _afterCommit = afterCommit;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _batchSize = options.Value.Storage.WriteBatchSize;
        _window = TimeSpan.FromMilliseconds(options.Value.Storage.WriteWindowMilliseconds);
        _unhealthyAfter = TimeSpan.FromSeconds(options.Value.Storage.UnhealthyAfterSeconds);
        _queue = Channel.CreateBounded<Queued>(new BoundedChannelOptions(options.Value.Storage.WriteQueueCapacity)
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

    /// <summary>The last stretch of failing commits that has ended (the database was away, the disk full); null if none has.</summary>
    public WriteOutage? LastOutage => _lastOutage;

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

    /// <summary>
    /// Appends a write no one waits for (a routine check: the hot path, nothing allocated here). Returns at once
    /// unless the queue is full.
    /// </summary>
    public ValueTask AppendAsync(JournalWrite write, CancellationToken cancellationToken) => QueueAsync(new Queued(write, null), cancellationToken);

    /// <summary>
    /// Appends a write and waits until it has committed and been published; the result says what it became.
    /// Cancelled if the write is given up at shutdown. Cancelling <paramref name="cancellationToken"/> once the write
    /// is queued stops the wait, not the write.
    /// </summary>
    public async Task<Committed> AppendAndWaitAsync(JournalWrite write, CancellationToken cancellationToken) =>
        await (await AppendAwaitedAsync(write, cancellationToken)).WaitAsync(cancellationToken);

    /// <summary>
    /// <see cref="AppendAndWaitAsync"/> in two steps, for a caller that must let go of something (the monitor's turn)
    /// once its write is queued and before the commit: returns once queued, with the task to wait on.
    /// </summary>
    public async ValueTask<Task<Committed>> AppendAwaitedAsync(JournalWrite write, CancellationToken cancellationToken)
    {
        var committed = new TaskCompletionSource<Committed>(TaskCreationOptions.RunContinuationsAsynchronously);
        await QueueAsync(new Queued(write, committed), cancellationToken);
        return committed.Task;
    }

    private ValueTask QueueAsync(Queued item, CancellationToken cancellationToken)
    {
        if (_queue.Writer.TryWrite(item))
        {
            return ValueTask.CompletedTask;
        }
        Interlocked.Exchange(ref _lastFullAtTicks, _time.GetUtcNow().UtcTicks);
        return _queue.Writer.WriteAsync(item, cancellationToken);
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
        var batch = new Batch(_batchSize);
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
    private bool Take(Batch batch, ChannelReader<Queued> reader)
    {
        var now = false;
        while (batch.Writes.Count < _batchSize && reader.TryRead(out var item))
        {
            batch.Add(item);
            now |= IsUrgent(item);
        }
        return now || batch.Writes.Count >= _batchSize;
    }

    /// <summary>
    /// A routine check result waits up to the write window for others to share its transaction: at a steady
    /// trickle every check would otherwise be a commit of its own, writing the same pages to the WAL again each time.
    /// Anything someone is waiting for or should hear about at once ends the wait.
    /// </summary>
    private async Task GatherAsync(Batch batch, ChannelReader<Queued> reader)
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

    private static bool IsUrgent(Queued item) => item.Waiter is not null || item.Write is not CheckWrite { Change: null };

    private async Task WriteWithRetryAsync(Batch batch)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            CommittedBatch committed;
            try
            {
                committed = await _store.CommitAsync(batch.Writes, _time.GetUtcNow(), _abort.Token);
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
                Failed(ex, batch.Writes.Count, attempt, delay);
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
            _afterCommit.Run(committed, batch.Waiters);
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
            _afterCommit.Announce(new StorageStatus(true, failure.Since, failure.Error));
        }
    }

    private void Succeeded()
    {
        if (_failure is not { } failure)
        {
            return;
        }
        _failure = null;
        _lastOutage = new WriteOutage(failure.Since, _time.GetUtcNow());
        LogWritesResumed(failure.Since, failure.Attempts);
        if (_announced)
        {
            _announced = false;
            _afterCommit.Announce(StorageStatus.Ok);
        }
    }

    /// <summary>The innermost message: a <c>DbUpdateException</c> itself only says "see the inner exception".</summary>
    private static string Describe(Exception exception)
    {
        var message = exception.GetBaseException().Message;
        return message is { Length: > 1000 } ? message[..999] + "…" : message;
    }

    private void Abandon(Batch batch)
    {
        LogAbandoned(batch.Writes.Count);
        foreach (var waiter in batch.Waiters)
        {
            waiter?.TrySetCanceled();
        }
    }

    /// <summary>One queued write and, when someone waits for it, their waiter: a struct, so a routine check costs no allocation here.</summary>
    private readonly record struct Queued(JournalWrite Write, TaskCompletionSource<Committed>? Waiter);

    /// <summary>The writes of one transaction and, index for index, their waiters; reused from batch to batch.</summary>
    private sealed class Batch(int capacity)
    {
        public List<JournalWrite> Writes { get; } = new(capacity);

        public List<TaskCompletionSource<Committed>?> Waiters { get; } = new(capacity);

        public void Add(Queued item)
        {
            Writes.Add(item.Write);
            Waiters.Add(item.Waiter);
        }

        public void Clear()
        {
            Writes.Clear();
            Waiters.Clear();
        }
    }

    [LoggerMessage(LogLevel.Error, "Could not store {Count} check results (attempt {Attempt}); retrying in {DelaySeconds} s")]
    private partial void LogWriteFailed(Exception exception, int count, int attempt, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Still cannot store {Count} check results (attempt {Attempt}); retrying in {DelaySeconds} s: {Error}")]
    private partial void LogWriteStillFailing(int count, int attempt, double delaySeconds, string error);

    [LoggerMessage(LogLevel.Critical, "Storage is failing: no commit has succeeded since {Since}: {Error}. Checks wait in memory until the queue is full")]
    private partial void LogStorageFailing(DateTimeOffset since, string error);

    [LoggerMessage(LogLevel.Warning, "Writes resumed; they had failed since {Since} ({Attempts} failed attempts)")]
    private partial void LogWritesResumed(DateTimeOffset since, int attempts);

    [LoggerMessage(LogLevel.Error, "Shutdown timed out with {Count} check results not yet stored")]
    private partial void LogShutdownTimedOut(int count);

    [LoggerMessage(LogLevel.Error, "Gave up storing {Count} check results at shutdown")]
    private partial void LogAbandoned(int count);
}

/// <summary>Commits failing since <paramref name="Since"/>, the latest with <paramref name="Error"/>.</summary>
internal sealed record WriteFailure(DateTimeOffset Since, string Error, int Attempts);

/// <summary>From the first failed commit of a stretch to the first that succeeded after it.</summary>
internal sealed record WriteOutage(DateTimeOffset Since, DateTimeOffset Until);

/// <summary>The <c>storage</c> push and the <c>storage.status</c> reply: whether writes have been failing too long, since when and why.</summary>
internal sealed record StorageStatus(bool Failing, DateTimeOffset? Since, string? Error)
{
    public static readonly StorageStatus Ok = new(false, null, null);
}
