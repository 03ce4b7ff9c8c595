using System.Diagnostics;
using System.Text.RegularExpressions;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// The systemd unit and the Dockerfile in deploy/, read and verified: systemd's own verifier on the unit; the
/// Dockerfile read as text (the image itself is built and run by UptimeWatchImageTests in the integration tests).
/// </summary>
public sealed class DeployFilesTests
{
    private static string Deploy(string file) => Path.Combine(TestPaths.RepositoryRoot, "deploy", file);

    [Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify()
    {
        var analyze = ProxyProcess.RequireTool("/usr/bin/systemd-analyze", "systemd");
        // verify insists that ExecStart exists: the built binary stands in for the published /opt/uptimewatch/UptimeWatch.
        var builtBinary = Path.ChangeExtension(HostProcess.HostDll, null);
        Assert.True(File.Exists(builtBinary), $"no app host at {builtBinary}");
        var unit = NginxProxy.ReplaceOnce(await File.ReadAllTextAsync(Deploy("uptimewatch.service")),
            "ExecStart=/opt/uptimewatch/UptimeWatch\n", $"ExecStart={builtBinary}\n");
        var copy = Path.Combine(TestPaths.NewTempDirectory("unit"), "uptimewatch.service");
        await File.WriteAllTextAsync(copy, unit);

        var (exitCode, output) = await RunAsync(analyze, "verify", copy);
        Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);

        Assert.True(exitCode == 0, output);
        // Unknown keys and bad values are only warnings (exit code 0): any line about the unit is a mistake in it.
        Assert.DoesNotContain("uptimewatch.service", output);
    }

    [Fact]
    public async Task The_systemd_unit_lets_the_JIT_work_and_gives_a_stop_its_grace_period()
    {
        var unit = Settings(await File.ReadAllTextAsync(Deploy("uptimewatch.service")));

        // MemoryDenyWriteExecute=yes forbids the writable-then-executable memory that the .NET JIT needs.
        Assert.False(unit.TryGetValue("MemoryDenyWriteExecute", out var mdwe) && mdwe.Contains("yes"), "MemoryDenyWriteExecute=yes stops .NET");
        Assert.True(int.Parse(unit["TimeoutStopSec"].Single(), System.Globalization.CultureInfo.InvariantCulture) >= 45);
        Assert.Equal(["SIGTERM"], unit["KillSignal"]);
        Assert.Equal(["strict"], unit["ProtectSystem"]);
        Assert.Equal(["uptimewatch"], unit["StateDirectory"]);
        Assert.Contains("UptimeWatch__DataDirectory=/var/lib/uptimewatch", unit["Environment"]);
        Assert.Contains("UPTIMEWATCH_CONFIG=/etc/uptimewatch/appsettings.json", unit["Environment"]);
        // No sd_notify support in the app: Type=notify would leave the unit "activating" until systemd gave up.
        Assert.DoesNotContain("notify", unit["Type"]);
        // Exit code 1 (a fault while running) is restarted; 2 (bad config, data folder in use) is not.
        Assert.Equal(["on-failure"], unit["Restart"]);
        Assert.Equal(["2"], unit["RestartPreventExitStatus"]);
    }

    [Fact]
    public async Task The_Dockerfile_runs_the_published_app_as_a_non_root_user_with_data_config_and_health_check_where_the_app_looks()
    {
        var dockerfile = await File.ReadAllTextAsync(Deploy("Dockerfile"));
        var stages = Regex.Split(dockerfile, @"^FROM ", RegexOptions.Multiline);
        var build = stages[^2];
        var final = stages[^1];

        // Every project file copied for the cached restore layer exists (a renamed project would break the build).
        foreach (Match copy in Regex.Matches(build, @"^COPY (?!--)(.+) \S+$", RegexOptions.Multiline))
        {
            foreach (var source in copy.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.True(Path.Exists(Path.Combine(TestPaths.RepositoryRoot, source)), $"the Dockerfile copies {source}, which is not in the repository");
            }
        }
        Assert.Matches(@"dotnet publish src/UptimeWatch/UptimeWatch\.csproj -c Release .*-o /app", build);
        var user = Assert.Single(Regex.Matches(final, @"^USER (\S+)", RegexOptions.Multiline)).Groups[1].Value;
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
        Assert.Contains("UptimeWatch__DataDirectory=/data", final);
        Assert.Contains("VOLUME [\"/data\"]", final);
        Assert.Contains("UPTIMEWATCH_CONFIG=/etc/uptimewatch/appsettings.json", final);
        Assert.Contains("COPY --from=build /src/appsettings.json /etc/uptimewatch/appsettings.json", final);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/UptimeWatch.dll\"]", final);
        // The health check is the binary's own command; the same call works against a running instance here.
        Assert.Contains("CMD [\"dotnet\", \"/app/UptimeWatch.dll\", \"healthcheck\"]", final);
        Assert.Contains("STOPSIGNAL SIGTERM", final);
    }

    /// <summary>A unit file's key=value lines, every value of a repeated key in order.</summary>
    private static Dictionary<string, List<string>> Settings(string unit)
    {
        var settings = new Dictionary<string, List<string>>();
        foreach (var line in unit.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or '[')))
        {
            var at = line.IndexOf('=');
            var key = line[..at];
            var values = key == "Environment" ? line[(at + 1)..].Split(' ') : [line[(at + 1)..]];
            settings.TryAdd(key, []);
            settings[key].AddRange(values);
        }
        return settings;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
