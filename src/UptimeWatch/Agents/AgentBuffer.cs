using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace UptimeWatch.Agents;

/// <summary>
/// The agent's local buffer (<c>agent-buffer.db</c> in the data folder, SQLite in WAL mode): every check goes here
/// first, one row per (monitor, slot), and leaves only when the server's <c>ack</c> for the message that carried it
/// arrives. A commit is on disk before the check counts as made, so a <c>kill -9</c> loses nothing, and a restart
/// uploads what is left. Also keeps the last monitor list the server sent, so an agent restarted while the server is
/// down keeps probing. Bounded: at most <see cref="MaxRows"/> checks and none older than <see cref="MaxAge"/> (oldest
/// dropped first, with a warning). A write that fails (a full disk) is kept in memory, bounded too, and retried.
/// </summary>
internal sealed partial class AgentBuffer : IDisposable
{
    public const string FileName = "agent-buffer.db";

    /// <summary>Checks held in memory while the file cannot be written (a full disk); beyond it the oldest are dropped.</summary>
    public const int MaxPending = 10_000;

    /// <summary>The longest a single check may be once serialised: its probe error is cut to fit (errors are short anyway).</summary>
    public const int MaxErrorChars = 2_000;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger<AgentBuffer> _logger;
    private readonly Queue<AgentCheck> _pending = new();
    private readonly FileStream _lock;
    private long _count;

    public AgentBuffer(string dataDirectory, TimeProvider time, ILogger<AgentBuffer> logger, int maxRows = 1_000_000, TimeSpan? maxAge = null)
    {
        _time = time;
        _logger = logger;
        MaxRows = maxRows;
        MaxAge = maxAge ?? TimeSpan.FromDays(7);
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.Combine(dataDirectory, FileName);
        _lock = TakeLock(Path + ".lock");
        try
        {
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
            _connection.Open();
            Execute("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA busy_timeout = 5000;
                CREATE TABLE IF NOT EXISTS checks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    monitor INTEGER NOT NULL,
                    slot INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    UNIQUE (monitor, slot));
                CREATE INDEX IF NOT EXISTS checks_by_slot ON checks (slot, id);
                CREATE TABLE IF NOT EXISTS monitors (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
                """);
            using var count = _connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM checks";
            _count = (long)count.ExecuteScalar()!;
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public int MaxRows { get; }

    public TimeSpan MaxAge { get; }

    /// <summary>Checks in the file (not counting those waiting in memory for the disk).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Completes when a check was added since the last <see cref="WaitForChecksAsync"/> returned: the uploader's prompt.</summary>
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stores one check (a second check of the same slot is ignored). Never throws for a write that fails: see the class.</summary>
    public async Task AddAsync(AgentCheck check, CancellationToken cancellationToken)
    {
        if (check.Error is { Length: > MaxErrorChars } error)
        {
            check = check with { Error = error[..MaxErrorChars] + "…" };
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _pending.Enqueue(check);
            while (_pending.Count > MaxPending)
            {
                var dropped = _pending.Dequeue();
                LogPendingDropped(dropped.Monitor, dropped.Slot, MaxPending);
            }
            FlushPending();
        }
        finally
        {
            _gate.Release();
        }
        _added.TrySetResult();
    }

    /// <summary>Waits until a check is added (or the token fires).</summary>
    public async Task WaitForChecksAsync(CancellationToken cancellationToken)
    {
        var added = Volatile.Read(ref _added);
        await added.Task.WaitAsync(cancellationToken);
        Interlocked.CompareExchange(ref _added, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), added);
    }

    /// <summary>
    /// The oldest checks (by slot), as many as fit one <c>results</c> message of at most <paramref name="maxChecks"/>
    /// checks and <paramref name="maxBytes"/> bytes. Also retries the writes a full disk held back.
    /// </summary>
    public async Task<IReadOnlyList<BufferedCheck>> PeekAsync(int maxChecks, int maxBytes, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            FlushPending();
            var list = new List<BufferedCheck>();
            var bytes = ResultsMessage.Overhead;
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, body FROM checks ORDER BY slot, id LIMIT $limit";
            command.Parameters.AddWithValue("$limit", maxChecks);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var body = reader.GetString(1);
                var size = Encoding.UTF8.GetByteCount(body) + 1;
                if (bytes + size > maxBytes)
                {
                    if (list.Count == 0)
                    {
                        // One check larger than a whole message would block the buffer for ever: it can never be sent.
                        var id = reader.GetInt64(0);
                        LogTooLarge(id, size, maxBytes);
                        reader.Close();
                        Delete([id]);
                    }
                    break;
                }
                bytes += size;
                list.Add(new BufferedCheck(reader.GetInt64(0), body));
            }
            return list;
        }
        catch (SqliteException ex)
        {
            LogReadFailed(ex.SqliteErrorCode, ex.Message);
            return [];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops checks the server acknowledged. False when the file could not be written (they are sent again: duplicates).</summary>
    public async Task<bool> RemoveAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Delete(ids);
            return true;
        }
        catch (SqliteException ex)
        {
            LogRemoveFailed(ids.Count, ex.SqliteErrorCode, ex.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Keeps the server's monitor list for the next start; a failure is logged (the list in memory still runs).</summary>
    public async Task SaveMonitorsAsync(IReadOnlyList<AgentMonitor> monitors, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO monitors (id, body) VALUES (1, $body) ON CONFLICT (id) DO UPDATE SET body = excluded.body";
            command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(monitors, AgentProtocol.Json));
            command.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            LogMonitorsNotSaved(ex.SqliteErrorCode, ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The monitor list last saved, or null when the server never sent one.</summary>
    public async Task<IReadOnlyList<AgentMonitor>?> LoadMonitorsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT body FROM monitors WHERE id = 1";
            return command.ExecuteScalar() is string body
                ? JsonSerializer.Deserialize<List<AgentMonitor>>(body, AgentProtocol.Json)
                : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _lock.Dispose();
        _gate.Dispose();
    }

    /// <summary>Writes the checks held in memory, oldest first; stops at the first failure and keeps the rest. Under the gate.</summary>
    private void FlushPending()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var written = 0;
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR IGNORE INTO checks (monitor, slot, body) VALUES ($monitor, $slot, $body)";
            var monitor = command.Parameters.Add("$monitor", SqliteType.Integer);
            var slot = command.Parameters.Add("$slot", SqliteType.Integer);
            var body = command.Parameters.Add("$body", SqliteType.Text);
            foreach (var check in _pending)
            {
                monitor.Value = check.Monitor;
                slot.Value = check.Slot.ToUnixTimeMilliseconds();
                body.Value = JsonSerializer.Serialize(check, AgentProtocol.Json);
                written += command.ExecuteNonQuery();
            }
            transaction.Commit();
            var wasHeld = _pending.Count > 1;
            _pending.Clear();
            Interlocked.Add(ref _count, written);
            if (wasHeld)
            {
                LogPendingWritten(written);
            }
        }
        catch (SqliteException ex)
        {
            // SQLITE_FULL, SQLITE_IOERR, a read-only file: keep probing, keep the checks in memory, try again next time.
            LogWriteFailed(_pending.Count, ex.SqliteErrorCode, ex.Message);
            return;
        }
        Trim();
    }

    /// <summary>Drops what is past the bounds, oldest first. Under the gate.</summary>
    private void Trim()
    {
        try
        {
            var cutoff = (_time.GetUtcNow() - MaxAge).ToUnixTimeMilliseconds();
            using var old = _connection.CreateCommand();
            old.CommandText = "DELETE FROM checks WHERE slot < $cutoff";
            old.Parameters.AddWithValue("$cutoff", cutoff);
            var expired = old.ExecuteNonQuery();
            if (expired > 0)
            {
                Interlocked.Add(ref _count, -expired);
                LogDroppedOld(expired, MaxAge.TotalDays);
            }
            if (Count > MaxRows)
            {
                using var over = _connection.CreateCommand();
                over.CommandText = "DELETE FROM checks WHERE id IN (SELECT id FROM checks ORDER BY slot, id LIMIT $n)";
                over.Parameters.AddWithValue("$n", Count - MaxRows);
                var dropped = over.ExecuteNonQuery();
                Interlocked.Add(ref _count, -dropped);
                LogDroppedFull(dropped, MaxRows);
            }
        }
        catch (SqliteException ex)
        {
            LogWriteFailed(0, ex.SqliteErrorCode, ex.Message);
        }
    }

    private void Delete(IReadOnlyCollection<long> ids)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM checks WHERE id = $id";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var deleted = 0;
        foreach (var value in ids)
        {
            id.Value = value;
            deleted += command.ExecuteNonQuery();
        }
        transaction.Commit();
        Interlocked.Add(ref _count, -deleted);
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>One agent per buffer: two would send each other's checks and drop each other's on acks they never saw.</summary>
    private static FileStream TakeLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new AgentBufferLockedException(
                $"another UptimeWatch agent uses the buffer in {System.IO.Path.GetDirectoryName(path)} (UptimeWatch:DataDirectory): give each agent its own data folder ({ex.Message})");
        }
    }

    [LoggerMessage(LogLevel.Error, "The agent's buffer cannot be written ({SqliteError}: {Error}); {Held} check(s) are held in memory and written again at the next check")]
    private partial void LogWriteFailed(int held, int sqliteError, string error);

    [LoggerMessage(LogLevel.Information, "The agent's buffer can be written again: {Count} check(s) held in memory were written")]
    private partial void LogPendingWritten(int count);

    [LoggerMessage(LogLevel.Warning, "The agent's buffer could not be written for too long: the check of monitor {MonitorId} at {Slot} was dropped (at most {Max} are held in memory)")]
    private partial void LogPendingDropped(int monitorId, DateTimeOffset slot, int max);

    [LoggerMessage(LogLevel.Warning, "The agent's buffer dropped {Count} check(s) older than {Days} days that the server never acknowledged")]
    private partial void LogDroppedOld(int count, double days);

    [LoggerMessage(LogLevel.Warning, "The agent's buffer is full ({Max} checks): the {Count} oldest were dropped")]
    private partial void LogDroppedFull(int count, int max);

    [LoggerMessage(LogLevel.Warning, "Buffered check {Id} is {Bytes} bytes, more than a whole message may be ({Max}): dropped")]
    private partial void LogTooLarge(long id, int bytes, int max);

    [LoggerMessage(LogLevel.Error, "The agent's buffer cannot be read ({SqliteError}: {Error}); trying again")]
    private partial void LogReadFailed(int sqliteError, string error);

    [LoggerMessage(LogLevel.Error, "{Count} acknowledged check(s) could not be removed from the agent's buffer ({SqliteError}: {Error}); they will be sent again and counted as duplicates")]
    private partial void LogRemoveFailed(int count, int sqliteError, string error);

    [LoggerMessage(LogLevel.Error, "The monitor list could not be saved in the agent's buffer ({SqliteError}: {Error}); it is used from memory")]
    private partial void LogMonitorsNotSaved(int sqliteError, string error);
}

/// <summary>One check as buffered: its row, and its JSON as it goes into a <c>results</c> message.</summary>
internal sealed record BufferedCheck(long Id, string Json);

/// <summary>Another agent holds the data folder's buffer.</summary>
internal sealed class AgentBufferLockedException(string message) : Exception(message);

/// <summary>A <c>results</c> message built from buffered checks' JSON, byte for byte as sent.</summary>
internal static class ResultsMessage
{
    /// <summary>Bytes besides the checks: <c>{"type":"results","seq":…,"checks":[]}</c> with the longest seq.</summary>
    public const int Overhead = 64;

    public static byte[] Build(long seq, IReadOnlyList<BufferedCheck> checks)
    {
        var text = new StringBuilder("{\"type\":\"results\",\"seq\":").Append(seq).Append(",\"checks\":[");
        for (var i = 0; i < checks.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(checks[i].Json);
        }
        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }
}
