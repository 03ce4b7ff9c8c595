using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Storage;

/// <summary>Dropping check_results' index on At alone, on a database that already holds checks.</summary>
[Trait("Storage", "SqliteFile")]
public sealed class CheckResultsIndexMigrationTests
{
    private const string BeforeDrop = "20261125045919_AddNotificationOutbox";

    [Fact]
    public async Task An_existing_database_keeps_every_check_and_the_monitor_time_index_but_not_the_time_only_one()
    {
        var old = await OldDatabase.MigratedToAsync(BeforeDrop);
        Assert.Contains("IX_check_results_At", await IndexesAsync(old));
        var start = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        int monitorId;
        await using (var db = old.Open())
        {
            var monitor = new MonitorEntity
            {
                Slug = "shop", Name = "Shop", Type = "http", Target = "https://example.test/", IntervalSeconds = 60, IsPublic = true,
                Definition = "{}", Source = "test", CreatedAt = start, UpdatedAt = start,
            };
            db.Monitors.Add(monitor);
            await db.SaveChangesAsync();
            monitorId = monitor.Id;
        }
        // In SQL, with the columns the table had then: the model of today may have more (check_results.Category).
        await using (var connection = await old.ConnectAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < 500; i++)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO check_results (MonitorId, At, Outcome, ResponseMs, HttpStatus, Error, InMaintenance) "
                    + "VALUES ($monitor, $at, $outcome, $ms, 200, $error, $maintenance)";
                insert.Parameters.AddWithValue("$monitor", monitorId);
                insert.Parameters.AddWithValue("$at", start.AddMinutes(i).ToUnixTimeMilliseconds());
                insert.Parameters.AddWithValue("$outcome", (int)(i % 7 == 0 ? CheckOutcome.Down : CheckOutcome.Up));
                insert.Parameters.AddWithValue("$ms", i);
                insert.Parameters.AddWithValue("$error", i % 7 == 0 ? $"failure {i}" : DBNull.Value);
                insert.Parameters.AddWithValue("$maintenance", i % 11 == 0);
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        var before = await RowsAsync(old);

        await old.MigrateAsync();

        Assert.Equal(before, await RowsAsync(old));
        // Later migrations add other indexes (the cluster's unique slot key): this one is about the At index only.
        var indexes = await IndexesAsync(old);
        Assert.DoesNotContain("IX_check_results_At", indexes);
        Assert.Contains("IX_check_results_MonitorId_At", indexes);
        // The prune and the per-monitor reads still find their rows through the remaining index.
        Assert.Contains("INDEX IX_check_results_MonitorId_At (MonitorId=?",
            await PlanAsync(old, "SELECT Id FROM check_results WHERE MonitorId = 1 AND At < 0 ORDER BY At LIMIT 5000"));
        Assert.Contains("INDEX IX_check_results_MonitorId_At (MonitorId=?",
            await PlanAsync(old, "SELECT * FROM check_results WHERE MonitorId = 1 ORDER BY At DESC LIMIT 50"));
    }

    private static Task<List<string>> RowsAsync(OldDatabase database) =>
        database.QueryAsync("SELECT Id || '|' || MonitorId || '|' || At || '|' || Outcome || '|' || ifnull(ResponseMs, '') || '|' || "
            + "ifnull(HttpStatus, '') || '|' || ifnull(Error, '') || '|' || InMaintenance FROM check_results ORDER BY Id");

    private static Task<List<string>> IndexesAsync(OldDatabase database) =>
        database.QueryAsync("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'check_results' AND sql IS NOT NULL ORDER BY name");

    private static async Task<string> PlanAsync(OldDatabase database, string sql) =>
        string.Join("\n", await database.QueryAsync($"EXPLAIN QUERY PLAN {sql}", column: 3));
}
