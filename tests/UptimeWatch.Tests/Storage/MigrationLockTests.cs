using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Storage;

/// <summary>
/// EF Core's SQLite migration lock is a row that a killed process leaves behind (dotnet/efcore#38958); every later
/// Migrate() would wait for it forever. Tested with the real binary, killed with SIGKILL inside a migration.
/// </summary>
[Trait("Storage", "SqliteFile")]
public sealed class MigrationLockTests
{
    /// <summary>The migration before DropCheckResultsAtIndex: from here on, dropping an index of many rows is pending.</summary>
    private const string BeforeDrop = "20261125045919_AddNotificationOutbox";
    private const string Drop = "20261130152208_DropCheckResultsAtIndex";
    private const int Checks = 200_000;

    [Fact]
    public async Task A_start_killed_inside_a_migration_does_not_block_the_next_start()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var database = Path.Combine(work, "data", "uptimewatch.db");
        await PrepareAsync(database, BeforeDrop);

        await using (var killed = HostProcess.Start(work, ["--config", config]))
        {
            // Holding a read transaction from the moment the lock row is seen keeps the app from committing anything
            // more (the migration, or the lock's release) in rollback-journal mode: it is killed inside the migration.
            await using var reader = await WaitForLockRowAsync(database, killed);
            await killed.KillAsync();
        }

        Assert.Equal(1, Scalar(database, "SELECT count(*) FROM __EFMigrationsLock"));
        Assert.True(Scalar(database, $"SELECT count(*) FROM __EFMigrationsHistory WHERE MigrationId = '{Drop}'") == 0,
            "the process was to be killed before the migration committed");

        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        Assert.Equal(1, Scalar(database, $"SELECT count(*) FROM __EFMigrationsHistory WHERE MigrationId = '{Drop}'"));
        Assert.Equal(0, Scalar(database, "SELECT count(*) FROM __EFMigrationsLock"));
        Assert.Equal(Checks, Scalar(database, "SELECT count(*) FROM check_results"));
        Assert.Contains("Removed a stale database migration lock", host.Stdout);
    }

    [Fact]
    public async Task A_stale_migration_lock_on_an_up_to_date_database_does_not_block_start()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var database = Path.Combine(work, "data", "uptimewatch.db");
        var old = await PrepareAsync(database, targetMigration: null);
        await old.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
            INSERT INTO "__EFMigrationsLock" ("Id", "Timestamp") VALUES (1, '2026-12-01 00:00:00+00:00');
            """);

        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
        Assert.Contains("(0 migrations applied)", host.Stdout);
    }

    /// <summary>A database migrated up to <paramref name="targetMigration"/> (all when null), holding one monitor's checks.</summary>
    private static async Task<OldDatabase> PrepareAsync(string database, string? targetMigration)
    {
        var old = await OldDatabase.MigratedToAsync(targetMigration, database);
        await old.ExecuteAsync($"""
            INSERT INTO monitors (Slug, Name, Type, Target, IntervalSeconds, IsPublic, Definition, Source, CreatedAt, UpdatedAt,
                                  Status, BaseStatus, ConsecutiveFailures, ConsecutiveSuccesses, VerdictHistory, IsFlapping, ArchivedAt)
            VALUES ('old', 'Old', 'http', 'http://127.0.0.1:9/', 60, 1, '{"{}"}', 'console', 0, 0, 'Unknown', 'Unknown', 0, 0, '', 0, 1);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Checks})
            INSERT INTO check_results (MonitorId, At, Outcome, ResponseMs, HttpStatus)
            SELECT (SELECT Id FROM monitors WHERE Slug = 'old'), 1764000000000 + i * 1000, 1, i % 700, 200 FROM n;
            """);
        return old;
    }

    /// <summary>Polls until the app has taken EF's lock; returns the connection, still holding the read transaction.</summary>
    private static async Task<SqliteConnection> WaitForLockRowAsync(string database, HostProcess host)
    {
        var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using var transaction = connection.BeginTransaction(deferred: true);
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM __EFMigrationsLock";
                if (Convert.ToInt64(await command.ExecuteScalarAsync()) > 0)
                {
                    // Kept open: disposing the connection ends the transaction.
                    return connection;
                }
            }
            catch (SqliteException)
            {
                // The app has not created the lock table yet, or holds the file for a moment.
            }
            await transaction.RollbackAsync();
            if (DateTime.UtcNow > deadline)
            {
                await connection.DisposeAsync();
                throw new TimeoutException($"UptimeWatch never took the migration lock; output: {host.Stdout}{host.Stderr}");
            }
        }
    }

    private static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
