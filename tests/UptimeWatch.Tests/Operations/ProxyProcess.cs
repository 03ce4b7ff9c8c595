using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// A reverse proxy (nginx, Caddy) run from its Debian package as a child process: started in the foreground, stopped
/// by its PID at the end. Only one per test, so nothing of it outlives the test.
/// </summary>
internal sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProxyProcess(Process process, Uri baseUrl, string directory)
    {
        _process = process;
        BaseUrl = baseUrl;
        Directory = directory;
    }

    /// <summary>Where browsers reach the proxied site, e.g. https://127.0.0.1:41234/.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The proxy's own folder: its generated config, logs and temp files.</summary>
    public string Directory { get; }

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    /// <summary>The tool's path; a tool that is missing fails the test with how to install it (test.sh does), never skips it.</summary>
    public static string RequireTool(string path, string package)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{path} is missing: install the Debian package with `apt-get install -y {package}` (./test.sh installs it when run as root)");
        }
        return path;
    }

    /// <summary>
    /// Starts the proxy that <paramref name="prepare"/> describes (choosing its ports and writing its folder each time)
    /// and waits until <see cref="ProxyLaunch.Bound"/> shows that the process started here holds its ports: a port that
    /// accepts connections proves nothing, since another process may have taken it after it was chosen. When that
    /// happened (the proxy exits saying "address already in use"), it starts again on new ports.
    /// </summary>
    public static Task<ProxyProcess> StartAsync(string name, Func<Task<ProxyLaunch>> prepare) =>
        PortClash.RetryAsync(name, async () => await StartOnceAsync(await prepare()));

    private static async Task<ProxyProcess> StartOnceAsync(ProxyLaunch launch)
    {
        var info = new ProcessStartInfo(launch.Tool)
        {
            WorkingDirectory = launch.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in launch.Args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in launch.Environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var proxy = new ProxyProcess(process, launch.BaseUrl, launch.Directory);
        process.OutputDataReceived += (_, e) => { lock (proxy._output) { proxy._output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (proxy._output) { proxy._output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var tool = Path.GetFileName(launch.Tool);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // the rest of its output
                var detail = proxy.Output + (launch.Log is null ? "" : "\n" + launch.Log());
                var exitCode = process.ExitCode;
                process.Dispose();
                System.IO.Directory.Delete(launch.Directory, recursive: true);
                if (PortClash.IsReportedIn(detail))
                {
                    throw new PortTakenException($"{tool}: " + detail.Split('\n').First(PortClash.IsReportedIn).Trim());
                }
                throw new InvalidOperationException($"{tool} exited with {exitCode} while starting:\n{detail}");
            }
            if (launch.Bound(proxy))
            {
                break;
            }
            if (deadline.Elapsed > StartBound)
            {
                await proxy.DisposeAsync();
                throw new TimeoutException($"{tool} did not report its ports bound within {StartBound.TotalSeconds:0} s:\n{proxy.Output}");
            }
            await Task.Delay(50);
        }

        // Bound by our process, so nothing else listens there: this connection reaches the proxy we started.
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, launch.BaseUrl.Port).WaitAsync(StartBound);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            await proxy.DisposeAsync();
            throw new InvalidOperationException($"{tool} reported its ports bound, yet 127.0.0.1:{launch.BaseUrl.Port} did not accept a connection: {ex.Message}", ex);
        }
        return proxy;
    }

    /// <summary>A hang guard for one start, not a claim about speed: nginx alone retries a taken port for 2.5 s.</summary>
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    /// <summary>The proxy's main process (nginx's master), as its pid file names it.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// A client of the proxy as a browser would be: trusts the test CA (nginx serves a certificate it issued) and,
    /// when <paramref name="from"/> is given, connects from that loopback address (a different client IP).
    /// </summary>
    public static SocketsHttpHandler Handler(IPAddress? from = null) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { TestCertificates.Ca },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// Stops the proxy the way its service manager would (SIGTERM to the main process), bounded; then kills it. Its
    /// folder (config, logs, a private key) goes too.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>
/// One start of a proxy: the command, its own fresh folder, where clients reach it, and <paramref name="Bound"/>: how
/// to tell that this process has bound its ports (a pid file written after binding, a log line), not just anyone.
/// </summary>
internal sealed record ProxyLaunch(string Tool, IReadOnlyList<string> Args, string Directory, Uri BaseUrl, Func<ProxyProcess, bool> Bound,
    IDictionary<string, string>? Environment = null, Func<string>? Log = null);
