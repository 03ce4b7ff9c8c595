using System.Net.Http.Json;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>Editing the config file of a running UptimeWatch: applied when valid, rejected (and harmless) when not.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ConfigReloadTests
{
    private static string Config(params (string Name, Uri Url)[] monitors) => $$"""
        {
          "UptimeWatch": {
            "DataDirectory": "data",
            "Monitors": [ {{string.Join(",", monitors.Select(m => $$"""{ "Name": "{{m.Name}}", "Url": "{{m.Url}}", "IntervalSeconds": 1, "TimeoutSeconds": 1 }"""))}} ]
          }
        }
        """;

    [Fact]
    public async Task A_changed_config_file_is_applied_without_a_restart_and_an_invalid_one_changes_nothing()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "uptimewatch.json");
        await File.WriteAllTextAsync(config, Config(("Website", target.Url("/ok"))));
        await using var host = await HostProcess.StartServingAsync(work, ["--config", config]);
        using var client = host.NewClient();

        async Task<StatusDto?> Status()
        {
            try
            {
                return await client.GetFromJsonAsync<StatusDto>("/api/status");
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        await Eventually.Until(Status, s => s?.Monitors.Any(m => m.Slug == "website" && m.Status == "up") == true,
            TimeSpan.FromSeconds(60), "website up");

        // Added while running.
        await File.WriteAllTextAsync(config, Config(("Website", target.Url("/ok")), ("Api", target.Url("/ok"))));
        await Eventually.Until(Status, s => s?.Monitors.Any(m => m.Slug == "api" && m.Status == "up") == true,
            TimeSpan.FromSeconds(30), "the added monitor to be checked");

        // A broken edit is refused with its errors; what runs keeps running.
        await File.WriteAllTextAsync(config, Config(("Website", new Uri("ftp://127.0.0.1/")), ("Api", target.Url("/ok"))));
        await Eventually.Until(() => Task.FromResult(host.Stdout), o => o.Contains("was NOT applied", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the rejection in the log");
        Assert.Contains("Monitors[0] \"Website\": Url \"ftp://127.0.0.1/\" is not an absolute http(s) URL", host.Stdout);
        var before = (await Status())!.Monitors.Single(m => m.Slug == "website").LastCheckedAt;
        var still = await Eventually.Until(Status, s => s!.Monitors.Single(m => m.Slug == "website").LastCheckedAt > before,
            TimeSpan.FromSeconds(10), "website to keep being checked");
        Assert.Equal(["api", "website"], still!.Monitors.Select(m => m.Slug).Order());

        // Removed while running: archived, no longer listed.
        await File.WriteAllTextAsync(config, Config(("Api", target.Url("/ok"))));
        await Eventually.Until(Status, s => s!.Monitors.Select(m => m.Slug).SequenceEqual(["api"]), TimeSpan.FromSeconds(30), "website archived");
    }

    [Fact]
    public async Task An_edited_monitor_keeps_its_history_and_its_state_across_a_reload()
    {
        // docs/configuration.md: changed monitors are rescheduled "keeping their history and state".
        await using var target = await TargetServer.StartAsync();
        target.Healthy = false;
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "uptimewatch.json");
        string Website(int interval, string extra) => $$"""
            { "UptimeWatch": { "DataDirectory": "data", "Monitors": [
              { "Name": "Website", "Url": "{{target.Url("/health")}}", "IntervalSeconds": {{interval}}, "TimeoutSeconds": 1, "FailureThreshold": 1{{extra}} } ] } }
            """;
        await File.WriteAllTextAsync(config, Website(1, ""));
        await using var host = await HostProcess.StartServingAsync(work, ["--config", config]);
        using var client = host.NewClient();

        async Task<T?> Read<T>(string path) where T : class
        {
            try
            {
                return await client.GetFromJsonAsync<T>(path);
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        await Eventually.Until(() => Read<StatusDto>("/api/status"), s => s?.Monitors.Any(m => m.Slug == "website" && m.Status == "down") == true,
            TimeSpan.FromSeconds(60), "website down");
        var before = await Eventually.Until(() => Read<ChecksDto>("/api/monitors/website/checks?limit=1000"), c => c?.Checks.Count >= 2,
            TimeSpan.FromSeconds(30), "two checks of website");

        // Edited while down: rescheduled (a longer interval), and a group to see that the edit was applied.
        await File.WriteAllTextAsync(config, Website(2, """, "Group": "Edge" """));
        await Eventually.Until(() => Read<StatusDto>("/api/status"), s => s?.Monitors.SingleOrDefault(m => m.Slug == "website")?.Group == "Edge",
            TimeSpan.FromSeconds(30), "the edit to be applied");
        var applied = DateTimeOffset.UtcNow;
        // Checks after the edit: had its state been reset to unknown, the first failed one would be a new change to down.
        var after = await Eventually.Until(() => Read<ChecksDto>("/api/monitors/website/checks?limit=1000"), c => c!.Checks.Count(x => x.At > applied) >= 2,
            TimeSpan.FromSeconds(30), "two checks after the edit");
        var events = (await Read<EventsDto>("/api/events?after=0"))!.Events.Where(e => e.Monitor == "website").ToList();
        var status = (await Read<StatusDto>("/api/status"))!.Monitors.Single(m => m.Slug == "website");

        Assert.Equal("down", status.Status);
        Assert.Equal([("unknown", "down")], events.Select(e => (e.From, e.To)));
        // Every check from before the edit is still in its history.
        Assert.Empty(before!.Checks.Select(c => c.At).Except(after!.Checks.Select(c => c.At)));
    }
}
