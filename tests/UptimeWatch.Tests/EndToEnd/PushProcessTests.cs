using System.Net.Http.Json;
using System.Text.Json;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>A push monitor on the real process: the URL it logs is the one a cron job can call.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class PushProcessTests
{
    [Fact]
    public async Task A_push_monitor_without_a_configured_token_logs_its_url_and_a_call_to_it_turns_the_monitor_up()
    {
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "config.json");
        await File.WriteAllTextAsync(config, """
            {
              "UptimeWatch": {
                "DataDirectory": "data",
                "Monitors": [ { "Name": "Nightly backup", "Type": "push", "IntervalSeconds": 86400, "GraceSeconds": 3600 } ]
              }
            }
            """);
        await using var host = await HostProcess.StartServingAsync(work, ["--config", config]);

        // This config has no Serilog section, so no console sink: the log file in the data folder has the URL.
        var token = await Eventually.Until(() => Task.FromResult(LoggedToken(Path.Combine(work, "data", "logs"))), t => t is not null,
            TimeSpan.FromSeconds(60), "the push URL in the log");
        Assert.Matches("^[A-Za-z0-9]{32}$", token);

        // What the documented cron line sends: curl -fsS -m 10 ".../api/push/<token>?status=up&msg=backup%20ok"
        using var client = host.NewClient();
        var reply = await Eventually.Until(async () =>
        {
            // The token is logged just before its monitor's row is committed: a moment of 404 is possible.
            using var response = await client.GetAsync($"/api/push/{token}?status=up&msg=backup%20ok");
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<PushReply>() : null;
        }, r => r is not null, TimeSpan.FromSeconds(60), "the push URL to answer");

        Assert.Equal(new PushReply(true, "nightly-backup", "up"), reply);
        var status = await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("/api/status"),
            s => s!.Overall == "up", TimeSpan.FromSeconds(10), "the monitor to show up");
        Assert.Equal([("nightly-backup", "up")], status!.Monitors.Select(m => (m.Slug, m.Status)));
    }

    private static string? LoggedToken(string logs)
    {
        if (!Directory.Exists(logs))
        {
            return null;
        }
        foreach (var file in Directory.GetFiles(logs))
        {
            // The sink holds the file open for writing; share it to read.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Contains("gets its heartbeats at /api/push/", StringComparison.Ordinal))
                {
                    using var entry = JsonDocument.Parse(line);
                    Assert.Equal("nightly-backup", entry.RootElement.GetProperty("Monitor").GetString());
                    return entry.RootElement.GetProperty("PushToken").GetString();
                }
            }
        }
        return null;
    }
}
