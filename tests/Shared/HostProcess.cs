using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace UptimeWatch.Testing;

/// <summary>
/// The built UptimeWatch binary run as a separate process, the way a user runs it: the one way the tests start it.
/// Serving, it listens on a port the OS picks (<c>--urls http://127.0.0.1:0</c>) and the test reads the address from
/// Kestrel's own "Now listening on:" log line, so no port is picked, released and raced for by another process.
/// Commands (validate-config, backup, healthcheck) run to their exit with <see cref="RunAsync"/>.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    /// <summary>
    /// How long a start, a command or a stop may take before the test gives up. A hang guard, not a claim about speed:
    /// generous, because the machine may be loaded.
    /// </summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process) => _process = process;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The PID of the app itself (<c>dotnet UptimeWatch.dll</c> runs in this process, no wrapper).</summary>
    public int Id => _process.Id;

    /// <summary>Where the process serves, as it reported it; known once <see cref="WaitUntilServingAsync"/> returned.</summary>
    public Uri Address => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException("UptimeWatch has not reported where it listens yet: await WaitUntilServingAsync first");

    /// <summary>
    /// The binary the tests run: the publish that test.sh makes (<c>UW_TEST_HOST_DLL</c>: Release, precompiled with
    /// ReadyToRun, as a release is built), else the host built next to this test run (same configuration: Debug or
    /// Release), as a developer's <c>dotnet test</c> finds it.
    /// </summary>
    public static string HostDll
    {
        get
        {
            if (Environment.GetEnvironmentVariable("UW_TEST_HOST_DLL") is { Length: > 0 } published)
            {
                return published;
            }
            // The test output is tests/UptimeWatch.Tests/bin/<Configuration>/net10.0/.
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            return Path.Combine(TestPaths.RepositoryRoot, "src", "UptimeWatch", "bin", configuration, "net10.0", "UptimeWatch.dll");
        }
    }

    /// <summary>
    /// Starts the binary to serve and returns at once (for tests that watch it start, or fail to). Unless the arguments
    /// or the environment say where to listen, it listens on a port of 127.0.0.1 that the OS picks.
    /// </summary>
    public static HostProcess Start(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var list = args.ToList();
        var urlsGiven = list.Any(a => a == "--urls" || a.StartsWith("--urls=", StringComparison.Ordinal))
            || (environment?.Keys.Any(k => k.Equals("Urls", StringComparison.OrdinalIgnoreCase) || k.Equals("ASPNETCORE_URLS", StringComparison.OrdinalIgnoreCase)) ?? false);
        return Launch(workingDirectory, urlsGiven ? list : [.. list, "--urls", "http://127.0.0.1:0"], environment);
    }

    /// <summary>Starts the binary and waits until it serves (see <see cref="WaitUntilServingAsync"/>).</summary>
    public static async Task<HostProcess> StartServingAsync(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var host = Start(workingDirectory, args, environment);
        try
        {
            await host.WaitUntilServingAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a command of the binary (migrate-data, backup, ...) and returns at once, for a test that watches its output
    /// while it runs or kills it half-way; <see cref="WaitForExitAsync"/> waits for its end. No <c>--urls</c> is added.
    /// </summary>
    public static HostProcess StartCommand(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        Launch(workingDirectory, args, environment);

    /// <summary>Runs a command of the binary (or a start that is to fail) to its end: its exit code and output.</summary>
    public static async Task<Exited> RunAsync(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        await using var command = Launch(workingDirectory, args, environment);
        var exitCode = await command.WaitForExitAsync();
        return new Exited(exitCode, command.Stdout, command.Stderr);
    }

    /// <summary>
    /// Waits, under one deadline, until the process has said where it listens and its status API answers (the
    /// database is migrated by then). Fails at once, with the output, if the process exits instead.
    /// </summary>
    public async Task WaitUntilServingAsync()
    {
        await Eventually.Within(Deadline, "UptimeWatch to listen and answer /api/status", async ct =>
        {
            var exited = _process.WaitForExitAsync(ct);
            if (await Task.WhenAny(_listening.Task, exited) != _listening.Task)
            {
                await exited;
                throw new InvalidOperationException($"UptimeWatch exited with code {_process.ExitCode} before it listened.\n{Stdout}\n{Stderr}");
            }
            using var client = NewClient();
            while (true)
            {
                try
                {
                    // Kestrel listens before the hosted services (the migration) are done: 500 until then.
                    using var response = await client.GetAsync("/api/status", ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return true;
                    }
                }
                catch (HttpRequestException)
                {
                }
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"UptimeWatch exited with code {_process.ExitCode} before it served.\n{Stdout}\n{Stderr}");
                }
                await Task.Delay(100, ct);
            }
        }, () => $"\n{Stdout}\n{Stderr}");
    }

    /// <summary>A client of this process's address (the caller disposes it).</summary>
    public HttpClient NewClient(HttpMessageHandler? handler = null) => new(handler ?? new HttpClientHandler()) { BaseAddress = Address };

    /// <summary>Waits for the process to exit by itself (a hang guard, <see cref="Deadline"/> unless given); kills it if it has not.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? deadline = null)
    {
        var limit = deadline ?? Deadline;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"UptimeWatch did not exit within {limit.TotalSeconds} s. Output:\n{Stdout}\n{Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the app itself, as <c>kill -9</c> or the OOM killer: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM to the app itself: a graceful shutdown, as systemd and Docker ask for it.</summary>
    public void SendSigterm()
    {
        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static HostProcess Launch(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        if (!File.Exists(HostDll))
        {
            throw new FileNotFoundException($"The UptimeWatch host is not built at {HostDll} (UW_TEST_HOST_DLL names a published one)");
        }
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
        // Nothing from the test runner's own environment may pick the config or the address for the child.
        info.Environment.Remove("UPTIMEWATCH_CONFIG");
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("Urls");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // A process a test starts lives seconds to a minute: methods stay at the JIT's first tier instead of being counted
        // and compiled a second time, optimised, for a speed-up such a process never earns back (2.5 s of CPU less in
        // the first 30 s of one start; docs/development.md, "The test suite's runs"). The test host itself keeps it.
        info.Environment["DOTNET_TC_CallCounting"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            lock (host._stdout)
            {
                host._stdout.AppendLine(e.Data);
            }
            // Kestrel (Microsoft.Hosting.Lifetime) logs the address it bound, with the port the OS picked.
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } match)
            {
                host._listening.TrySetResult(new Uri(match.Groups["url"].Value));
            }
        };
        process.ErrorDataReceived += (_, e) => { lock (host._stderr) { host._stderr.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    [GeneratedRegex(@"Now listening on: (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>How a command of the binary ended.</summary>
internal sealed record Exited(int ExitCode, string Stdout, string Stderr);
