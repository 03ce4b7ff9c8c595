using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Storage;

/// <summary>
/// One UptimeWatch per data folder: <c>{DataDirectory}/uptimewatch.lock</c> is held open with an exclusive OS lock
/// (<c>flock</c> on Linux and macOS, a share-none handle on Windows) for as long as the process serves. A second process
/// on the same folder would check every monitor again and send every alert twice, so it stops before it serves or
/// schedules anything. The kernel drops the lock when the process ends, however it ends: a <c>kill -9</c> or a power
/// cut never leaves a lock that blocks the next start. The file holds the holder's PID, for the message.
/// </summary>
internal sealed partial class DataDirectoryLock(IOptions<UptimeWatchOptions> options, ILogger<DataDirectoryLock> logger)
    : IHostedLifecycleService, IDisposable
{
    public const string FileName = "uptimewatch.lock";

    private readonly Lock _gate = new();
    private FileStream? _file;

    public string Path => System.IO.Path.Combine(StorageExtensions.DataDirectory(options.Value), FileName);

    /// <summary>
    /// Takes the lock (creating the data folder), or throws <see cref="DataDirectoryLockedException"/>. Idempotent:
    /// Program takes it before the host starts, so that a refusal is a plain message; the host's start takes it too,
    /// for hosts started without Program (tests).
    /// </summary>
    public void Acquire()
    {
        // On PostgreSQL several nodes share one database by design: the cluster, not a file lock, coordinates them.
        if (options.Value.Storage.IsPostgres)
        {
            return;
        }
        lock (_gate)
        {
            if (_file is not null)
            {
                return;
            }
            Directory.CreateDirectory(StorageExtensions.DataDirectory(options.Value));
            var path = Path;
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (IsHeldByAnother(ex))
            {
                throw new DataDirectoryLockedException(path, ReadHolderPid(path));
            }
            var pid = Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            file.SetLength(0);
            file.Write(pid);
            file.Flush(flushToDisk: true);
            _file = file;
            LogAcquired(path, Environment.ProcessId);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        Acquire();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Released only once everything else has stopped (the writer has drained the queue).</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // The file stays: deleting it would let a process that opened it meanwhile lock an unlinked file.
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>EWOULDBLOCK from flock (errno 11 on Linux, 35 on macOS) or ERROR_SHARING_VIOLATION on Windows.</summary>
    private static bool IsHeldByAnother(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) == 32 : ex.HResult is 11 or 35;

    /// <summary>
    /// The PID written by the holder, or null. .NET's own file APIs take a shared flock to read, which the holder's
    /// exclusive one refuses, so the file is read with plain open(2)/read(2), which flock does not block.
    /// </summary>
    private static int? ReadHolderPid(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        try
        {
            var fd = Native.Open(path, 0 /* O_RDONLY */);
            if (fd < 0)
            {
                return null;
            }
            try
            {
                var buffer = new byte[32];
                var read = (int)Native.Read(fd, buffer, buffer.Length);
                return read > 0 && int.TryParse(Encoding.ASCII.GetString(buffer, 0, read).Trim(), out var pid) ? pid : null;
            }
            finally
            {
                _ = Native.Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Holding {LockFile} (PID {Pid}): no other UptimeWatch can use this data folder")]
    private partial void LogAcquired(string lockFile, int pid);

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "read", SetLastError = true)]
        public static extern nint Read(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "close")]
        public static extern int Close(int fd);
    }
}

/// <summary>Another process holds the data folder's lock: this one must not start.</summary>
internal sealed class DataDirectoryLockedException(string lockFile, int? holderPid) : Exception(
    $"another UptimeWatch is already using this data folder: {lockFile} is locked" +
    (holderPid is { } pid ? $" by PID {pid}" : "") +
    ". Stop that process first, or give this one its own UptimeWatch:DataDirectory.")
{
    public string LockFile => lockFile;

    public int? HolderPid => holderPid;
}
