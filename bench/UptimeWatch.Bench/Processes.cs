using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace UptimeWatch.Bench;

/// <summary>
/// A process the bench started. Every one is remembered so that a failure, Ctrl+C or the run's hard deadline
/// stops all of them: a benchmark must never leave a load generator running.
/// </summary>
internal sealed partial class Child : IDisposable
{
    private static readonly List<Child> Started = [];
    private readonly Process _process;
    private readonly StreamWriter _log;

    private Child(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Pid => _process.Id;
    public string Name { get; private init; } = "";
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Runs <c>dotnet dll args</c> in <paramref name="workDir"/>, its output going to <paramref name="logFile"/>.</summary>
    public static Child StartDotnet(string name, string dll, IEnumerable<string> args, string workDir, string logFile,
        IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment.Remove("UPTIMEWATCH_CONFIG");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        var log = new StreamWriter(logFile) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new Child(process, log) { Name = name };
        lock (Started)
        {
            Started.Add(child);
        }
        return child;
    }

    /// <summary>SIGTERM: the graceful stop UptimeWatch documents (drains the writer).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = SendSignal(_process.Id, 15);
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Terminate();
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"[bench] {Name} (pid {Pid}) did not stop within {grace.TotalSeconds} s: killed");
            Kill();
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    /// <summary>Kills every process this bench started that is still running (by its own pid only).</summary>
    public static void KillAll()
    {
        lock (Started)
        {
            foreach (var child in Started)
            {
                child.Kill();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>Reads a process's CPU time and memory from /proc, from outside the process.</summary>
internal static partial class ProcStat
{
    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    /// <summary>Clock ticks per second (_SC_CLK_TCK), the unit of utime/stime in /proc/pid/stat.</summary>
    public static readonly long ClockTicks = SysConf(2) is > 0 and var t ? t : 100;

    /// <summary>utime + stime of the process in seconds (its threads included).</summary>
    public static double CpuSeconds(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        // The command name may contain spaces; the fields after it are fixed. utime is field 14, stime 15.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)ClockTicks;
    }

    /// <summary>A field of /proc/pid/status in KiB: VmRSS (now) or VmHWM (peak).</summary>
    public static long StatusKb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    public static long RssKb(int pid) => StatusKb(pid, "VmRSS");
}

/// <summary>Samples RSS of a process once a second until stopped.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly List<long> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(int pid)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var kb = ProcStat.RssKb(pid);
                    lock (_samples)
                    {
                        _samples.Add(kb);
                    }
                    await Task.Delay(1000, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    return;
                }
            }
        });
    }

    public long[] Samples()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
