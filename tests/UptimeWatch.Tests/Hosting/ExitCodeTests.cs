using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Hosting;

/// <summary>The serving process's exit code tells a service manager whether to restart it.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ExitCodeTests
{
    [Fact]
    public async Task A_background_service_that_fails_while_running_stops_the_process_with_exit_code_1_and_says_why()
    {
        await using var receiver = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, [new { Name = "Shop", Type = "push", IntervalSeconds = 3600 }], new
        {
            Alerting = new { Channels = new { hook = new { Type = "webhook", Url = receiver.Url("/hook").ToString() } } },
        });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        // A real fault, from outside the process: a notification in the outbox whose next attempt is no date (a damaged
        // file, a row written by another version). The dispatcher, a BackgroundService, cannot tell which work is due
        // and fails on it. (A damaged payload only fails its own notification: see OutboxRetryTests.)
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(work, "data", "uptimewatch.db")};Pooling=False;Default Timeout=30"))
        {
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            command.CommandText = $"""
                INSERT INTO notifications (Key, MonitorId, Channel, Event, Payload, State, Attempts, CreatedAt, NextAttemptAt)
                VALUES ('damaged', (SELECT Id FROM monitors WHERE Slug = 'shop'), 'hook', 'down', '{"{}"}', 0, 0, {now}, {long.MaxValue});
                """;
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(1, exitCode);
        Assert.Contains("UptimeWatch stopped because its background service NotificationDispatcher failed (ArgumentOutOfRangeException", host.Stdout);
        Assert.Contains("exiting with code 1 so that the service manager restarts it", host.Stdout);
    }
}
