using System.Diagnostics;
using System.Text;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// deploy/nginx.cluster.conf, run by the real nginx in front of two real UptimeWatch nodes on one PostgreSQL: only
/// the addresses are rewritten (the nodes' ports, nginx's own port on 127.0.0.1), each rewrite must find its text in
/// the shipped file. Proves what the compose file relies on: no sticky sessions, and a node that dies is passed over.
/// </summary>
public sealed class ClusterProxyTests : IAsyncLifetime
{
    private const string NginxTool = "/usr/sbin/nginx";

    private PostgresServer _postgres = null!;
    private TargetServer _target = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _target = await TargetServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task The_clusters_nginx_spreads_the_status_page_over_both_nodes_and_passes_requests_on_when_one_is_killed()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2,
            [new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 }]);
        var nodes = new[] { cluster[0].Address.Port, cluster[1].Address.Port };
        await using var nginx = await PortClash.RetryAsync("nginx", () => Nginx.StartAsync(nodes));
        using var client = new HttpClient { BaseAddress = nginx.BaseUrl };

        // Round robin without stickiness: one client's requests reach both nodes, and every answer is the same page.
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/api/status");
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} through nginx");
            Assert.Contains("\"slug\":\"shop\"", await response.Content.ReadAsStringAsync());
        }
        var served = nginx.UpstreamsSoFar();
        Assert.All(nodes, port => Assert.Contains($"127.0.0.1:{port}", served));

        // kill -9 one node: every request still gets its page, from the other (a failed GET is passed on).
        await cluster.KillAsync(0);
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/api/status");
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} through nginx after node 1 was killed\n{nginx.UpstreamsSoFar()}");
        }
    }

    /// <summary>A real nginx in the foreground on the shipped cluster config, stopped by its PID on dispose.</summary>
    private sealed class Nginx(Process process, string directory, Uri baseUrl) : IAsyncDisposable
    {
        public Uri BaseUrl => baseUrl;

        /// <summary>The upstream address(es) of each request so far, one request per line, from nginx's access log.</summary>
        public string UpstreamsSoFar()
        {
            var log = Path.Combine(directory, "upstreams.log");
            return File.Exists(log) ? File.ReadAllText(log) : "";
        }

        public static async Task<Nginx> StartAsync(int[] nodePorts)
        {
            if (!File.Exists(NginxTool))
            {
                throw new InvalidOperationException($"{NginxTool} is missing: apt-get install -y nginx (./test.sh does when run as root)");
            }
            var dir = TestPaths.NewTempDirectory("nginx-cluster");
            var port = PortClash.Candidate();
            var site = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "deploy", "nginx.cluster.conf"));
            site = ReplaceOnce(site, "server 127.0.0.1:5081 ", $"server 127.0.0.1:{nodePorts[0]} ");
            site = ReplaceOnce(site, "server 127.0.0.1:5082 ", $"server 127.0.0.1:{nodePorts[1]} ");
            site = ReplaceOnce(site, "listen 5080;", $"listen 127.0.0.1:{port};");
            await File.WriteAllTextAsync(Path.Combine(dir, "site.conf"), site);
            var user = Environment.UserName == "root" ? "user root;" : "";
            var pidFile = Path.Combine(dir, "nginx.pid");
            await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
                {{user}}
                worker_processes 1;
                pid {{pidFile}};
                error_log {{dir}}/error.log info;
                events { worker_connections 256; }
                http {
                    log_format upstreams '$upstream_addr $status';
                    access_log {{dir}}/upstreams.log upstreams;
                    client_body_temp_path {{dir}}/client_body;
                    proxy_temp_path {{dir}}/proxy;
                    fastcgi_temp_path {{dir}}/fastcgi;
                    uwsgi_temp_path {{dir}}/uwsgi;
                    scgi_temp_path {{dir}}/scgi;
                    include {{dir}}/site.conf;
                }
                """);

            var info = new ProcessStartInfo(NginxTool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in (string[])["-p", dir + "/", "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log"), "-g", "daemon off;"])
            {
                info.ArgumentList.Add(arg);
            }
            var output = new StringBuilder();
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var nginx = new Nginx(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            // nginx writes its pid file only once every listen address is bound: our PID there means the port is ours.
            await Eventually.Within(TimeSpan.FromSeconds(30), "nginx to bind its port", async ct =>
            {
                while (true)
                {
                    if (process.HasExited)
                    {
                        var said = File.Exists(Path.Combine(dir, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "error.log"), ct) : "";
                        lock (output)
                        {
                            said += output.ToString();
                        }
                        if (PortClash.IsReportedIn(said))
                        {
                            throw new PortTakenException($"nginx on 127.0.0.1:{port}: {said}");
                        }
                        throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {said}");
                    }
                    if (File.Exists(pidFile) && (await File.ReadAllTextAsync(pidFile, ct)).Trim() == process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        return true;
                    }
                    await Task.Delay(50, ct);
                }
            });
            return nginx;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                // SIGTERM, as a service manager stops it: the master takes its workers down with it (a SIGKILL would not).
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(bound.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            process.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static string ReplaceOnce(string text, string old, string replacement)
        {
            var at = text.IndexOf(old, StringComparison.Ordinal);
            if (at < 0 || text.IndexOf(old, at + old.Length, StringComparison.Ordinal) >= 0)
            {
                throw new InvalidOperationException($"deploy/nginx.cluster.conf must contain \"{old}\" exactly once (the test rewrites it)");
            }
            return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
        }
    }
}
