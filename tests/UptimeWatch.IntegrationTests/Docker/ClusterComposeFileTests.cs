using System.Text.RegularExpressions;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// deploy/docker-compose.cluster.yml and the nginx config it mounts, read by the real tools as ComposeFileTests reads
/// the single-node file: Debian's docker-compose (1.29) <c>config</c> parses, validates and interpolates the file; nginx
/// <c>-t</c> checks the proxy config. No cluster is started in Docker here: the nodes on one PostgreSQL are tested as
/// processes (tests/UptimeWatch.IntegrationTests/Cluster).
/// </summary>
public sealed class ClusterComposeFileTests
{
    private const string ComposeTool = "/usr/bin/docker-compose";
    private const string NginxTool = "/usr/sbin/nginx";

    private static string Deploy(string file) => Path.Combine(TestPaths.RepositoryRoot, "deploy", file);

    [Fact]
    public async Task The_cluster_compose_file_runs_PostgreSQL_two_nodes_and_nginx_on_the_host_network_with_the_nodes_on_loopback()
    {
        var result = await ConfigAsync(new Dictionary<string, string?>
        {
            ["UPTIMEWATCH_ADMIN_PASSWORD"] = "a-long-enough-password",
            ["POSTGRES_PASSWORD"] = "pg-password-from-env",
        });

        Assert.True(result.ExitCode == 0, $"docker-compose config exited with {result.ExitCode}: {result.Output}");
        var resolved = result.Stdout.Split('\n').Select(l => l.Trim()).ToList();
        int Count(string line) => resolved.Count(l => l == line);
        // Four services, all on the host's network (as a service installed on the machine would be).
        Assert.Equal(["nginx", "postgres", "uptimewatch-1", "uptimewatch-2"], ServiceNames(result.Stdout));
        Assert.Equal(4, Count("network_mode: host"));
        // PostgreSQL and both nodes listen on loopback only; nginx is the one way in.
        Assert.Equal(1, Count("- listen_addresses=127.0.0.1"));
        Assert.Equal(1, Count("Urls: http://127.0.0.1:5081"));
        Assert.Equal(1, Count("Urls: http://127.0.0.1:5082"));
        // The same image, built from the shipped Dockerfile, for both nodes.
        Assert.Equal(2, Count($"context: {TestPaths.RepositoryRoot}"));
        Assert.Equal(2, Count("dockerfile: deploy/Dockerfile"));
        // One database for both, its password from the environment (deploy/.env), never written in the file.
        Assert.Equal(1, Count("POSTGRES_PASSWORD: pg-password-from-env"));
        Assert.Equal(2, Count("UptimeWatch__Storage__Provider: PostgreSQL"));
        Assert.Equal(2, Count("UptimeWatch__Storage__ConnectionString: Host=127.0.0.1;Port=5432;Database=uptimewatch;Username=uptimewatch;Password=pg-password-from-env"));
        Assert.Equal(1, Count("UptimeWatch__Scheduler__NodeId: node-1"));
        Assert.Equal(1, Count("UptimeWatch__Scheduler__NodeId: node-2"));
        // Nodes wait for a healthy database, keep their own data folder, read the same config, get the single node's grace period.
        Assert.Equal(2, Count("condition: service_healthy"));
        Assert.Equal(1, Count("- uptimewatch-1-data:/data:rw"));
        Assert.Equal(1, Count("- uptimewatch-2-data:/data:rw"));
        Assert.Equal(2, Count($"- {Deploy("appsettings.json")}:/etc/uptimewatch/appsettings.json:ro"));
        Assert.Equal(2, Count("stop_grace_period: 45s"));
        Assert.Equal(1, Count($"- {Deploy("nginx.cluster.conf")}:/etc/nginx/conf.d/default.conf:ro"));

        // nginx's upstream is exactly the nodes of the compose file, with no stickiness: any node serves any request.
        var nginx = await File.ReadAllTextAsync(Deploy("nginx.cluster.conf"));
        var upstream = Regex.Matches(nginx, @"^\s*server (127\.0\.0\.1:\d+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Order();
        var nodes = Regex.Matches(result.Stdout, @"Urls: http://(127\.0\.0\.1:\d+)").Select(m => m.Groups[1].Value).Order();
        Assert.Equal(nodes, upstream);
        Assert.Empty(Regex.Matches(nginx, @"^\s*(ip_hash|hash|sticky)\b", RegexOptions.Multiline));
    }

    [Fact]
    public async Task Without_its_passwords_the_cluster_compose_file_is_refused_naming_the_variable_to_set()
    {
        var result = await ConfigAsync(new Dictionary<string, string?> { ["UPTIMEWATCH_ADMIN_PASSWORD"] = "a-long-enough-password" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("set POSTGRES_PASSWORD in deploy/.env", result.Output);
    }

    [Fact]
    public async Task The_clusters_nginx_config_passes_nginx_t()
    {
        if (!File.Exists(NginxTool))
        {
            throw new InvalidOperationException($"{NginxTool} is missing: apt-get install -y nginx (./test.sh does when run as root)");
        }
        var dir = TestPaths.NewTempDirectory("nginx-cluster");
        // The file is an http-context include (the nginx image's conf.d/default.conf): a minimal main context around it.
        var user = Environment.UserName == "root" ? "user root;" : "";
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            {{user}}
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{Deploy("nginx.cluster.conf")}};
            }
            """);

        var result = await DockerCli.RunAsync(NginxTool, ["-t", "-p", dir + "/", "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log")],
            TimeSpan.FromSeconds(60));
        Directory.Delete(dir, recursive: true);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("test is successful", result.Output);
    }

    private static async Task<DockerCli.Result> ConfigAsync(Dictionary<string, string?> environment)
    {
        if (!File.Exists(ComposeTool))
        {
            throw new InvalidOperationException(
                $"{ComposeTool} is missing: install Debian's docker-compose (apt-get install -y docker-compose); ./test.sh does when run as root");
        }
        // Whatever the test runner's environment holds, only what the test gives counts.
        environment.TryAdd("UPTIMEWATCH_ADMIN_PASSWORD", null);
        environment.TryAdd("POSTGRES_PASSWORD", null);
        return await DockerCli.RunAsync(ComposeTool, ["-f", Deploy("docker-compose.cluster.yml"), "config"], TimeSpan.FromSeconds(60), environment);
    }

    /// <summary>The service names: the keys two spaces in under "services:", up to the next top-level key.</summary>
    private static List<string> ServiceNames(string resolved)
    {
        var lines = resolved.Split('\n');
        return lines.SkipWhile(l => l != "services:").Skip(1).TakeWhile(l => l.StartsWith(' '))
            .Where(l => Regex.IsMatch(l, @"^  [\w-]+:\s*$")).Select(l => l.Trim().TrimEnd(':')).ToList();
    }
}
