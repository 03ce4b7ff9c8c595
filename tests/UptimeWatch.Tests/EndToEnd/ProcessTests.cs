using System.Net.Http.Json;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>UptimeWatch as a real process: config file selection, start-up validation, exit codes, SIGTERM.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ProcessTests
{
    [Fact]
    public async Task A_bad_config_lists_every_error_exits_non_zero_and_writes_nothing()
    {
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "bad.json");
        await File.WriteAllTextAsync(config, """
            {
              "UptimeWatch": {
                "DataDirectory": "state",
                "Monitors": [
                  { "Name": "web", "Url": "https://example.com/" },
                  { "Name": "web", "Url": "https://example.org/" },
                  { "Name": "api", "Url": "htp://x", "IntervalSeconds": 0 },
                  { "Name": "slow", "Url": "https://example.net/", "IntervalSeconds": 10, "TimeoutSeconds": 20, "ExpectedStatus": "2xx" }
                ]
              }
            }
            """);

        await using var host = HostProcess.Start(work, ["--config", config]);
        var exitCode = await host.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("the configuration has 5 error(s)", host.Stderr);
        Assert.Contains("Monitors[1] \"web\": Name \"web\" is already used by Monitors[0]", host.Stderr);
        Assert.Contains("Monitors[2] \"api\": Url \"htp://x\" is not an absolute http(s) URL", host.Stderr);
        Assert.Contains("Monitors[2] \"api\": IntervalSeconds \"0\" must be a whole number of seconds from 1 to 86400", host.Stderr);
        Assert.Contains("Monitors[3] \"slow\": TimeoutSeconds \"20\" must not be longer than IntervalSeconds (10)", host.Stderr);
        Assert.Contains("Monitors[3] \"slow\": ExpectedStatus \"2xx\" is not a list of status codes", host.Stderr);
        Assert.False(Directory.Exists(Path.Combine(work, "state")), "a rejected config must not create the data folder");
    }

    [Fact]
    public async Task A_missing_config_file_is_named_in_the_error()
    {
        var work = TestPaths.NewTempDirectory();

        await using var host = HostProcess.Start(work, [], new Dictionary<string, string> { ["UPTIMEWATCH_CONFIG"] = "nowhere.json" });
        var exitCode = await host.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains($"Config file \"{Path.Combine(work, "nowhere.json")}\" (from UPTIMEWATCH_CONFIG) does not exist", host.Stderr);
    }

    [Fact]
    public async Task The_config_named_by_UPTIMEWATCH_CONFIG_is_used_environment_variables_override_it_and_SIGTERM_stops_cleanly()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "instance-a.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "UptimeWatch": {
                "DataDirectory": "not-this-one",
                "Monitors": [ { "Name": "Target", "Url": "{{target.Url("/ok")}}", "IntervalSeconds": 1, "TimeoutSeconds": 1 } ]
              }
            }
            """);
        await using var host = await HostProcess.StartServingAsync(work, [], new Dictionary<string, string>
        {
            ["UPTIMEWATCH_CONFIG"] = config,
            ["UptimeWatch__DataDirectory"] = "instance-a-data",
        });
        using var client = host.NewClient();
        var status = await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("/api/status"), s => s is { Overall: "up" },
            TimeSpan.FromSeconds(60), "the process to report the target up");

        Assert.Equal(["target"], status!.Monitors.Select(m => m.Slug));
        Assert.True(File.Exists(Path.Combine(work, "instance-a-data", "uptimewatch.db")));
        Assert.False(Directory.Exists(Path.Combine(work, "not-this-one")));

        host.SendSigterm();
        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(work, "instance-a-data", "logs")));
    }
}
