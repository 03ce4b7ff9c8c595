using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>The binary's commands as an operator runs them: exit codes and what they print.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class CommandTests
{
    private const string BadConfig = """
        {
          "UptimeWatch": {
            "DataDirectory": "state",
            "Metrics": { "BearerToken": "short" },
            "ForwardedHeaders": { "TrustedProxies": [ "10.0.0.0/8", "nginx" ] },
            "Monitors": [
              { "Name": "web", "Url": "https://example.com/" },
              { "Name": "api", "Url": "htp://x", "IntervalSecond": 30 }
            ]
          }
        }
        """;

    [Fact]
    public async Task Validate_config_prints_the_same_field_errors_as_start_up_and_exits_2_without_creating_anything()
    {
        var work = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(work, "bad.json"), BadConfig);

        var validate = await HostProcess.RunAsync(work, ["validate-config", "bad.json"]);
        await using var startup = HostProcess.Start(work, ["--config", "bad.json"]);
        var startupExit = await startup.WaitForExitAsync();

        static string[] Errors(string output) => output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.StartsWith("  - ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, validate.ExitCode);
        Assert.Equal(2, startupExit);
        Assert.Contains($"{Path.Combine(work, "bad.json")}: the configuration has 4 error(s):", validate.Stderr);
        Assert.Equal(
        [
            "  - Metrics:BearerToken (\"***\", 5 characters) must be at least 16 characters long with no spaces",
            "  - ForwardedHeaders:TrustedProxies:1 \"nginx\" must be an IP address (10.0.0.2) or a network (10.0.0.0/8, fd00::/8)",
            "  - Monitors[1] \"api\": Url \"htp://x\" is not an absolute http(s) URL",
            "  - Monitors[1] \"api\": IntervalSecond is not a monitor field (did you mean IntervalSeconds?)",
        ], Errors(validate.Stderr));
        Assert.Equal(Errors(validate.Stderr), Errors(startup.Stderr));
        Assert.False(Directory.Exists(Path.Combine(work, "state")), "validating must not create the data folder");
    }

    [Fact]
    public async Task Validate_config_accepts_a_good_file_and_summarises_it()
    {
        var work = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(work, "good.json"), """
            // comments are allowed, as in appsettings.json
            {
              "UptimeWatch": {
                "Monitors": [
                  { "Name": "web", "Url": "https://example.com/" },
                  { "Name": "db", "Url": "tcp://127.0.0.1:5432" },
                  { "Name": "nightly", "Type": "push", "IntervalSeconds": 86400 }
                ]
              }
            }
            """);

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(work, ["validate-config", "good.json"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"{Path.Combine(work, "good.json")}: valid; 3 monitor(s): 1 http, 1 tcp, 1 push; 0 alert channel(s).", stdout);
        Assert.False(Directory.Exists(Path.Combine(work, "data")));
    }

    [Fact]
    public async Task Validate_config_names_the_line_of_a_JSON_syntax_error_and_a_missing_file()
    {
        var work = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(work, "broken.json"), "{\n  \"UptimeWatch\": {\n    \"Monitors\": [ }\n}\n");

        var broken = await HostProcess.RunAsync(work, ["validate-config", "broken.json"]);
        var missing = await HostProcess.RunAsync(work, ["validate-config", "nowhere.json"]);
        await using var startup = HostProcess.Start(work, ["--config", "broken.json"]);
        var startupExit = await startup.WaitForExitAsync();

        Assert.Equal(2, broken.ExitCode);
        Assert.Contains(Path.Combine(work, "broken.json"), broken.Stderr);
        Assert.Contains("LineNumber: 2", broken.Stderr);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"Config file \"{Path.Combine(work, "nowhere.json")}\" (from --config) does not exist", missing.Stderr);
        // Start-up says the same, without a stack trace.
        Assert.Equal(2, startupExit);
        Assert.Contains("UptimeWatch did not start: ", startup.Stderr);
        Assert.Contains("LineNumber: 2", startup.Stderr);
        Assert.DoesNotContain("Unhandled exception", startup.Stderr);
    }

    [Fact]
    public async Task Version_and_unknown_commands()
    {
        var work = TestPaths.NewTempDirectory();

        var version = await HostProcess.RunAsync(work, ["--version"]);
        var unknown = await HostProcess.RunAsync(work, ["bakup", "x.db"]);

        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^UptimeWatch \d+\.\d+\.\d+\S* \(\.NET 10\.", version.Stdout);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("\"bakup\" is not an UptimeWatch command.", unknown.Stderr);
        Assert.Contains("UptimeWatch backup <file>", unknown.Stderr);
    }

    [Fact]
    public async Task Healthcheck_exits_0_while_the_instance_serves_and_1_once_it_is_gone()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var (host, client) = await ServingProcess.StartAsync(work, config);
        using var _ = client;
        var port = client.BaseAddress!.Port;
        // The URL comes from the same settings the server listens on: "Urls" from the environment here, with a wildcard host.
        var environment = new Dictionary<string, string> { ["Urls"] = $"http://0.0.0.0:{port}" };

        var healthy = await HostProcess.RunAsync(work, ["healthcheck", "--config", config], environment);
        await host.DisposeAsync();
        // Held from here on: no other process can start listening on the port the instance left.
        using var closed = ClosedPort.Hold(port);
        var gone = await HostProcess.RunAsync(work, ["healthcheck", "--config", config], environment);

        Assert.True(healthy.ExitCode == 0, healthy.Stderr);
        Assert.Contains($"http://127.0.0.1:{port}/healthz answered 200", healthy.Stdout);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"http://127.0.0.1:{port}/healthz did not answer", gone.Stderr);
    }
}
