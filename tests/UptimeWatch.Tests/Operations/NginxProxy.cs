using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// A real nginx running the shipped deploy/nginx.conf in front of UptimeWatch. Only what cannot be the same on a test
/// machine is rewritten: the listen addresses (free ports on 127.0.0.1, no IPv6), the upstream port, the certificate
/// files (a certificate for 127.0.0.1 from the test CA) and, when a test asks, a timeout. Each rewrite must find its
/// text in the shipped file, so a test never silently runs a configuration other than the one users get.
/// </summary>
internal static class NginxProxy
{
    public const string Executable = "/usr/sbin/nginx";

    public static string ShippedConfig => Path.Combine(TestPaths.RepositoryRoot, "deploy", "nginx.conf");

    /// <summary>The shipped file with the addresses and certificates of this machine; <paramref name="liveReadTimeout"/> replaces the event stream's proxy_read_timeout.</summary>
    public static string Adapt(string shipped, int httpsPort, int httpPort, int upstreamPort, string certificate, string key, string? liveReadTimeout = null)
    {
        var text = shipped;
        text = ReplaceOnce(text, "server 127.0.0.1:5080;", $"server 127.0.0.1:{upstreamPort};");
        text = ReplaceOnce(text, "listen 80;", $"listen 127.0.0.1:{httpPort};");
        text = ReplaceOnce(text, "listen 443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;");
        // The test machine may have no IPv6, and the ports are chosen on 127.0.0.1 only.
        text = RemoveLines(text, @"^\s*listen \[::\]:\d+.*;\s*$", expected: 2);
        text = ReplaceLine(text, "ssl_certificate ", $"    ssl_certificate     {certificate};");
        text = ReplaceLine(text, "ssl_certificate_key ", $"    ssl_certificate_key {key};");
        if (liveReadTimeout is not null)
        {
            text = ReplaceInBlock(text, "location /api/live/ {", "proxy_read_timeout 1h;", $"proxy_read_timeout {liveReadTimeout};");
        }
        return text;
    }

    /// <summary>
    /// Starts nginx with the adapted file included in a minimal main context whose pid, logs and temp folders are under
    /// a fresh folder, so it runs side by side with any system nginx, as root in CI too. Its ports come from
    /// <paramref name="choosePort"/> (default: <see cref="PortClash.Candidate"/>); a port taken meanwhile means a new start.
    /// </summary>
    public static Task<ProxyProcess> StartAsync(int upstreamPort, string? liveReadTimeout = null, Func<int>? choosePort = null) =>
        ProxyProcess.StartAsync("nginx", () => PrepareAsync(upstreamPort, liveReadTimeout, choosePort ?? PortClash.Candidate));

    private static async Task<ProxyLaunch> PrepareAsync(int upstreamPort, string? liveReadTimeout, Func<int> choosePort)
    {
        var nginx = ProxyProcess.RequireTool(Executable, "nginx");
        var dir = TestPaths.NewTempDirectory("nginx");
        var httpsPort = choosePort();
        var httpPort = choosePort();

        using var certificate = TestCertificates.Issue("127.0.0.1");
        var certificateFile = Path.Combine(dir, "fullchain.pem");
        var keyFile = Path.Combine(dir, "privkey.pem");
        await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem() + "\n" + TestCertificates.Ca.ExportCertificatePem() + "\n");
        using (var rsa = certificate.GetRSAPrivateKey()!)
        {
            await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        }

        var site = Adapt(await File.ReadAllTextAsync(ShippedConfig), httpsPort, httpPort, upstreamPort, certificateFile, keyFile, liveReadTimeout);
        await File.WriteAllTextAsync(Path.Combine(dir, "uptimewatch.conf"), site);
        // Workers of a root master switch to "nobody", who may not enter the test's temp folders: in a test they stay root.
        var user = Environment.UserName == "root" ? "user root;" : "";
        var pidFile = Path.Combine(dir, "nginx.pid");
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            {{user}}
            worker_processes 1;
            pid {{pidFile}};
            error_log {{dir}}/error.log info;
            events { worker_connections 512; }
            http {
                access_log {{dir}}/access.log;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/uptimewatch.conf;
            }
            """);

        string ErrorLog() => File.Exists(Path.Combine(dir, "error.log")) ? File.ReadAllText(Path.Combine(dir, "error.log")) : "(no error.log)";
        return new ProxyLaunch(nginx,
            ["-p", dir + "/", "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log"), "-g", "daemon off;"],
            dir, new Uri($"https://127.0.0.1:{httpsPort}/"), proxy => WrotePid(pidFile, proxy), Log: ErrorLog);
    }

    /// <summary>
    /// nginx writes its pid file only once it has bound every listen address (a taken one makes it exit instead), so
    /// our own process's id in our own pid file means the ports are ours.
    /// </summary>
    private static bool WrotePid(string pidFile, ProxyProcess proxy)
    {
        try
        {
            return File.ReadAllText(pidFile).Trim() == proxy.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return false; // not written yet
        }
    }

    /// <summary>The port nginx redirects plain HTTP on (the shipped "listen 80"), read back from the generated file.</summary>
    public static int RedirectPort(ProxyProcess proxy)
    {
        var site = File.ReadAllText(Path.Combine(proxy.Directory, "uptimewatch.conf"));
        return int.Parse(Regex.Match(site, @"listen 127\.0\.0\.1:(\d+);").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static string ReplaceOnce(string text, string old, string replacement)
    {
        var at = text.IndexOf(old, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(old, at + old.Length, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"the shipped proxy config must contain \"{old}\" exactly once (the tests rewrite it)");
        }
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
    }

    private static string RemoveLines(string text, string pattern, int expected)
    {
        var regex = new Regex(pattern + @"\n?", RegexOptions.Multiline);
        var found = regex.Matches(text).Count;
        if (found != expected)
        {
            throw new InvalidOperationException($"deploy/nginx.conf: expected {expected} lines matching {pattern}, found {found}");
        }
        return regex.Replace(text, "");
    }

    private static string ReplaceLine(string text, string startsWith, string replacement)
    {
        var regex = new Regex(@"^\s*" + Regex.Escape(startsWith) + ".*$", RegexOptions.Multiline);
        if (regex.Matches(text).Count != 1)
        {
            throw new InvalidOperationException($"deploy/nginx.conf must have exactly one line starting with \"{startsWith.Trim()}\"");
        }
        return regex.Replace(text, replacement.Replace("$", "$$", StringComparison.Ordinal));
    }

    private static string ReplaceInBlock(string text, string blockStart, string old, string replacement)
    {
        var start = text.IndexOf(blockStart, StringComparison.Ordinal);
        var end = start < 0 ? -1 : text.IndexOf('}', start);
        if (end < 0)
        {
            throw new InvalidOperationException($"deploy/nginx.conf has no \"{blockStart} … }}\" block");
        }
        var block = text[start..end];
        return string.Concat(text.AsSpan(0, start), ReplaceOnce(block, old, replacement), text.AsSpan(end));
    }
}
