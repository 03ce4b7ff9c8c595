using System.Threading.Channels;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// On PostgreSQL (a cluster), feeds this node's live hub from the event log instead of from its own writer, so every
/// node's SSE, long-poll and admin-socket clients get every node's events, each once and in id order. Whenever a batch
/// commits anywhere, its writer NOTIFYs <see cref="Channel"/> (<see cref="JournalNotice"/>); every node, the writer
/// included, then reads the entries after the last id it published (<see cref="JournalReader.ReadLiveAsync"/>) and
/// publishes them, then the notice's check results. Appends take turns (<see cref="TakeAppendLock"/>), so ids commit in
/// order and reading by cursor never skips one. A notification can be lost (the listening connection dropped): the
/// log is read again when the connection is back and every <see cref="SafetyNet"/> regardless, so only the live-only
/// check results of that moment are lost, never an event. On SQLite (one node) the writer publishes directly and this does nothing.
/// </summary>
internal sealed partial class JournalTail(DatabaseSignals signals, JournalReader reader, LivePublisher publisher, TimeProvider time,
    ILogger<JournalTail> logger) : BackgroundService
{
    /// <summary>The channel a committed batch is announced on.</summary>
    public const string Channel = "uw_journal";

    /// <summary>Taken at the start of every append transaction on PostgreSQL (held until it ends): one append at a time, cluster-wide.</summary>
    public const string TakeAppendLock = "SELECT pg_advisory_xact_lock(8464351051610484332)"; // "uwjournl" in ASCII: any key, the same on every node

    /// <summary>How often the log is read even when no notification came.</summary>
    public static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(2);

    /// <summary>How long a writer's waiters wait for the publish before they are released anyway (the commit is done).</summary>
    private static readonly TimeSpan MaxReleaseWait = TimeSpan.FromSeconds(2);

    // Notices in arrival order; null = just read the log (connected again, or the safety-net timer).
    private readonly Channel<JournalNotice?> _wake = System.Threading.Channels.Channel.CreateUnbounded<JournalNotice?>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _waitersLock = new();
    private readonly List<(long UpTo, Action Release)> _waiters = [];
    private long _published = -1;

    public bool Enabled => signals.Enabled;

    /// <summary>
    /// Runs <paramref name="release"/> once this node has published every entry up to <paramref name="upTo"/> (or after
    /// <see cref="MaxReleaseWait"/>, if reading the log fails meanwhile): whoever waited for a write may then read the live state too.
    /// <paramref name="release"/> may run twice and must not mind.
    /// </summary>
    public void AfterPublished(long upTo, Action release)
    {
        lock (_waitersLock)
        {
            if (Interlocked.Read(ref _published) < upTo)
            {
                _waiters.Add((upTo, release));
                _ = Task.Delay(MaxReleaseWait, time).ContinueWith(_ => release(), TaskScheduler.Default);
                return;
            }
        }
        release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        try
        {
            // Live from here: what came before is the clients' replay, read from the log by their cursors.
            SetPublished(await StartingCursorAsync(stoppingToken));
            using var subscription = signals.Subscribe(Channel,
                payload => _wake.Writer.TryWrite(JournalNotice.Parse(payload)),
                () => _wake.Writer.TryWrite(null));
            await Task.WhenAll(SafetyNetAsync(stoppingToken), PublishAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<long> StartingCursorAsync(CancellationToken cancellationToken)
    {
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, SafetyNet.Ticks)))
        {
            try
            {
                return await reader.NewestIdAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(ex);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    private async Task SafetyNetAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SafetyNet, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            _wake.Writer.TryWrite(null);
        }
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        var notices = new List<JournalNotice>();
        while (await _wake.Reader.WaitToReadAsync(cancellationToken))
        {
            // Everything that arrived meanwhile is handled with one read of the log, and only when something may be
            // there to read: a batch that wrote events newer than the cursor, or a wake-up without a notice (the
            // safety net, a connection back). Most batches are checks only: their notices need no read.
            notices.Clear();
            var read = false;
            while (_wake.Reader.TryRead(out var notice))
            {
                if (notice is null)
                {
                    read = true;
                }
                else
                {
                    notices.Add(notice);
                    read |= notice.UpTo > Interlocked.Read(ref _published);
                }
            }
            try
            {
                if (read)
                {
                    await CatchUpAsync(cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Read again at the next notice or tick; the cursor has not moved past anything unpublished.
                LogReadFailed(ex);
            }
            // After the entries they came with, so a check result never overtakes the status change committed before it.
            if (notices.Count > 0)
            {
                publisher.PublishNotices(notices);
            }
        }
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var after = Interlocked.Read(ref _published);
            var page = await reader.ReadLiveAsync(after, JournalReader.Page, cancellationToken);
            if (page.Entries > 0)
            {
                publisher.PublishFromLog(page.Events);
                SetPublished(page.UpTo);
            }
            if (page.Entries < JournalReader.Page)
            {
                return;
            }
        }
    }

    private void SetPublished(long upTo)
    {
        List<Action>? due = null;
        lock (_waitersLock)
        {
            Interlocked.Exchange(ref _published, upTo);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].UpTo <= upTo)
                {
                    (due ??= []).Add(_waiters[i].Release);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var release in due ?? [])
        {
            release();
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not read the event log for live viewers; trying again at the next signal")]
    private partial void LogReadFailed(Exception exception);
}
