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

    /// <summary>Starts <paramref name="tool"/> and waits until <paramref name="port"/> on 127.0.0.1 accepts connections.</summary>
    public static async Task<ProxyProcess> StartAsync(string tool, IEnumerable<string> args, string directory, int port, Uri baseUrl,
        IDictionary<string, string>? environment = null, Func<string>? log = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var proxy = new ProxyProcess(process, baseUrl, directory);
        process.OutputDataReceived += (_, e) => { lock (proxy._output) { proxy._output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (proxy._output) { proxy._output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var detail = proxy.Output + (log is null ? "" : "\n" + log());
                process.Dispose();
                throw new InvalidOperationException($"{Path.GetFileName(tool)} exited with {process.ExitCode} while starting:\n{detail}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
                return proxy;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                {
                    await proxy.DisposeAsync();
                    throw new TimeoutException($"{Path.GetFileName(tool)} did not listen on 127.0.0.1:{port} within 20 s:\n{proxy.Output}");
                }
                await Task.Delay(50);
            }
        }
    }

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
