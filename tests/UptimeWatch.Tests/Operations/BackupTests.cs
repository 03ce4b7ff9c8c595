using System.Net.Http.Json;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary><c>UptimeWatch backup</c> against a running instance that keeps writing.</summary>
[Trait("Storage", "SqliteFile")]
public sealed class BackupTests
{
    [Fact]
    public async Task A_backup_taken_under_write_load_holds_every_committed_row_and_a_restored_instance_serves_it()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        // 40 monitors checked every second, each result written at once (no write window): the writer commits every
        // few milliseconds while the backup runs.
        var monitors = Enumerable.Range(1, 40)
            .Select(i => new { Name = $"site {i}", Url = target.Url($"/counted/site-{i}").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 })
            .ToList();
        var config = ServingProcess.WriteConfig(work, monitors, new { Storage = new { WriteWindowMilliseconds = 0 } });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;
        var live = Path.Combine(work, "data", "uptimewatch.db");
        await Eventually.Until(() => Task.FromResult(CheckCount(live)), n => n >= 200, TimeSpan.FromSeconds(60), "200 stored checks");

        // Everything committed before the backup starts must be in it.
        long committedMaxId, committedCount;
        using (var before = ServingProcess.Open(live))
        {
            committedMaxId = ServingProcess.Scalar(before, "SELECT max(Id) FROM check_results");
            committedCount = ServingProcess.Scalar(before, "SELECT count(*) FROM check_results");
        }
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(work, ["backup", "backups/nightly.db", "--config", config]);
        var afterCount = CheckCount(live);

        Assert.True(exitCode == 0, stderr);
        Assert.Matches(@"Backed up "".*uptimewatch\.db"" to "".*nightly\.db"": [\d.]+ MiB, 40 monitor\(s\), \d+ stored check\(s\), schema \d+_\w+\.", stdout);
        var backup = Path.Combine(work, "backups", "nightly.db");
        Assert.False(File.Exists(backup + ".partial"));
        Assert.False(File.Exists(backup + "-wal"), "a backup is one self-contained file");
        using (var copy = ServingProcess.Open(backup))
        {
            using var check = copy.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
            Assert.Equal(committedCount, ServingProcess.Scalar(copy, $"SELECT count(*) FROM check_results WHERE Id <= {committedMaxId}"));
            Assert.Equal(40, ServingProcess.Scalar(copy, "SELECT count(*) FROM monitors"));
            // The writer kept going meanwhile (this really was under load), and the copy is one snapshot of it.
            Assert.True(afterCount > committedCount, $"no checks were written during the backup ({committedCount} → {afterCount})");
        }

        // Restore: the backup as the data of a new instance, which starts from it with its history.
        var restored = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(restored, "data"));
        File.Copy(backup, Path.Combine(restored, "data", "uptimewatch.db"));
        var (restoredHost, restoredClient) = await ServingProcess.StartAsync(restored, ServingProcess.WriteConfig(restored, monitors));
        await using var ___ = restoredHost;
        using var ____ = restoredClient;
        var checks = await restoredClient.GetFromJsonAsync<ChecksDto>("/api/monitors/site-1/checks?limit=1000");
        Assert.True(checks!.Checks.Count >= committedCount / 40 - 1, $"restored instance shows {checks.Checks.Count} checks of site-1");
    }

    [Fact]
    public async Task Backup_refuses_to_overwrite_a_file_and_says_where_it_looked_for_a_missing_database()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        await File.WriteAllTextAsync(Path.Combine(work, "taken.db"), "precious");

        var noDatabase = await HostProcess.RunAsync(work, ["backup", "new.db", "--config", config]);
        Directory.CreateDirectory(Path.Combine(work, "data"));
        File.Copy(Path.Combine(work, "taken.db"), Path.Combine(work, "data", "uptimewatch.db"));
        var taken = await HostProcess.RunAsync(work, ["backup", "taken.db", "--config", config]);
        var noFile = await HostProcess.RunAsync(work, ["backup", "--config", config]);

        Assert.Equal(1, noDatabase.ExitCode);
        Assert.Contains($"No database at \"{Path.Combine(work, "data", "uptimewatch.db")}\" (from UptimeWatch:DataDirectory \"data\")", noDatabase.Stderr);
        Assert.False(File.Exists(Path.Combine(work, "new.db")));
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("already exists", taken.Stderr);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(work, "taken.db")));
        Assert.Equal(2, noFile.ExitCode);
        Assert.Contains("backup needs exactly one file to write", noFile.Stderr);
    }

    [Fact]
    public async Task Backup_on_PostgreSQL_refuses_and_points_to_pg_dump()
    {
        var work = TestPaths.NewTempDirectory();
        // No server needs to run: the command refuses before it connects to anything.
        var config = ServingProcess.WriteConfig(work, [], new
        {
            Storage = new { Provider = "PostgreSQL", ConnectionString = "Host=db.internal;Port=5433;Database=uptime;Username=uw;Password=s3cret" },
        });

        var refused = await HostProcess.RunAsync(work, ["backup", "nightly.db", "--config", config]);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("PostgreSQL", refused.Stderr);
        Assert.Contains("pg_dump", refused.Stderr);
        Assert.Contains("--host=db.internal --port=5433 --username=uw --dbname=uptime", refused.Stderr);
        Assert.DoesNotContain("s3cret", refused.Stderr + refused.Stdout);
        Assert.False(File.Exists(Path.Combine(work, "nightly.db")));
        Assert.False(File.Exists(Path.Combine(work, "nightly.db.partial")));
    }

    private static long CheckCount(string database)
    {
        if (!File.Exists(database))
        {
            return 0;
        }
        try
        {
            using var connection = ServingProcess.Open(database);
            return ServingProcess.Scalar(connection, "SELECT count(*) FROM check_results");
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // not migrated yet
        }
    }
}
