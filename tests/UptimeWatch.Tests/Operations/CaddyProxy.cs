namespace UptimeWatch.Tests.Operations;

/// <summary>
/// A real Caddy (Debian's caddy package) running the shipped deploy/Caddyfile in front of UptimeWatch. Rewritten:
/// the site address (plain HTTP on a free 127.0.0.1 port instead of a public name with automatic HTTPS), the
/// upstream port, and the global e-mail line (which becomes "admin off", so no admin endpoint on port 2019).
/// </summary>
internal static class CaddyProxy
{
    public const string Executable = "/usr/bin/caddy";

    public static string ShippedConfig => Path.Combine(TestPaths.RepositoryRoot, "deploy", "Caddyfile");

    /// <summary>Caddy keeps certificates and autosaved config under XDG folders: a fresh one per run, not root's home.</summary>
    public static Dictionary<string, string> Environment(string dir) => new()
    {
        ["HOME"] = dir,
        ["XDG_DATA_HOME"] = Path.Combine(dir, "data"),
        ["XDG_CONFIG_HOME"] = Path.Combine(dir, "config"),
    };

    /// <summary>Starts Caddy on a port from <paramref name="choosePort"/> (default: <see cref="PortClash.Candidate"/>); a port taken meanwhile means a new start.</summary>
    public static Task<ProxyProcess> StartAsync(int upstreamPort, Func<int>? choosePort = null) =>
        ProxyProcess.StartAsync("caddy", () => PrepareAsync(upstreamPort, choosePort ?? PortClash.Candidate));

    private static async Task<ProxyLaunch> PrepareAsync(int upstreamPort, Func<int> choosePort)
    {
        var caddy = ProxyProcess.RequireTool(Executable, "caddy");
        var dir = TestPaths.NewTempDirectory("caddy");
        var port = choosePort();
        var text = await File.ReadAllTextAsync(ShippedConfig);
        text = NginxProxy.ReplaceOnce(text, "status.example.com {", $"http://127.0.0.1:{port} {{");
        text = NginxProxy.ReplaceOnce(text, "reverse_proxy 127.0.0.1:5080 {", $"reverse_proxy 127.0.0.1:{upstreamPort} {{");
        text = NginxProxy.ReplaceOnce(text, "email admin@example.com", "admin off");
        var config = Path.Combine(dir, "Caddyfile");
        await File.WriteAllTextAsync(config, text);
        // Caddy logs this once its initial config is loaded, and loading binds the site's port (a taken one fails it).
        return new ProxyLaunch(caddy, ["run", "--adapter", "caddyfile", "--config", config], dir, new Uri($"http://127.0.0.1:{port}/"),
            proxy => proxy.Output.Contains("\"msg\":\"serving initial configuration\"", StringComparison.Ordinal), Environment(dir));
    }
}
