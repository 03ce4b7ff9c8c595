using System.Diagnostics;
using System.Text;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>The built UptimeWatch binary run as a separate process, the way a user runs it.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private HostProcess(Process process) => _process = process;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The host built next to this test run (same configuration: Debug or Release).</summary>
    public static string HostDll
    {
        get
        {
            // The test output is tests/UptimeWatch.Tests/bin/<Configuration>/net10.0/.
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            return Path.Combine(TestPaths.RepositoryRoot, "src", "UptimeWatch", "bin", configuration, "net10.0", "UptimeWatch.dll");
        }
    }

    public static HostProcess Start(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // Nothing from the test runner's own environment may pick the config for the child.
        info.Environment.Remove("UPTIMEWATCH_CONFIG");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => { lock (host._stdout) { host._stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (host._stderr) { host._stderr.AppendLine(e.Data); } };
        if (!File.Exists(HostDll))
        {
            throw new FileNotFoundException($"The UptimeWatch host is not built at {HostDll}");
        }
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits for the process to exit by itself; kills it if it has not within the bound.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"UptimeWatch did not exit within {timeout.TotalSeconds} s. Output:\n{Stdout}\n{Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>The PID of the app itself (<c>dotnet UptimeWatch.dll</c> runs in this process, no wrapper).</summary>
    public int Id => _process.Id;

    /// <summary>SIGKILL, as <c>kill -9</c> or the OOM killer: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        Process.Start("kill", ["-KILL", _process.Id.ToString()])!.WaitForExit();
        await _process.WaitForExitAsync();
    }

    /// <summary>Asks for a graceful shutdown, as systemd and Docker do.</summary>
    public void SendSigterm() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
