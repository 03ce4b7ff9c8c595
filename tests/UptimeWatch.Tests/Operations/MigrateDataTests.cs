using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Operations;

/// <summary>
/// <c>UptimeWatch migrate-data</c>, the real binary, from a SQLite install to the throwaway PostgreSQL server of this
/// class (its own, whatever UW_TEST_PROVIDER says: the command always goes from SQLite to PostgreSQL).
/// </summary>
[Trait("Storage", "SqliteFile")] // its own PostgreSQL server and SQLite source, whatever UW_TEST_PROVIDER says: once is enough
public sealed class MigrateDataTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task A_week_of_history_moved_to_PostgreSQL_reads_the_same_on_the_status_page_and_in_the_event_log()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var monitors = new[]
        {
            new { Name = "Api", Url = target.Url("/ok").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 },
            new { Name = "Website", Url = target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 },
        };
        var config = ServingProcess.WriteConfig(work, monitors, new { Admin = new { InitialPassword = Password } });
        var database = Path.Combine(work, "data", "uptimewatch.db");
        // Trust authentication ignores it: it is here to show that no output repeats it.
        var connectionString = await postgres.CreateDatabaseAsync() + ";Password=never-printed-secret";

        // The install, made through the app on SQLite: an account (InitialPassword), a token, a signed-out session.
        string token;
        await using (var sqlite = await HostProcess.StartServingAsync(work, ["--config", config]))
        {
            using var client = sqlite.NewClient();
            await Eventually.Until(() => client.GetFromJsonAsync<JsonObject>("/api/status"),
                s => s!["monitors"]!.AsArray().Count == 2 && s["monitors"]!.AsArray().All(m => (string?)m!["status"] == "up"),
                TimeSpan.FromSeconds(60), "both monitors up");

            // While it serves, its data folder is locked: a copy of a database that is still written would miss the rest.
            var inUse = await HostProcess.RunAsync(work, ["migrate-data", "--from", database, "--to", connectionString]);
            Assert.Equal(2, inUse.ExitCode);
            Assert.Contains($"--from \"{database}\" is in use: an UptimeWatch (PID {sqlite.Id}) holds its data folder", inUse.Stderr);

            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new() }) { BaseAddress = sqlite.Address };
            (await browser.PostAsJsonAsync("/api/admin/login", new { password = Password })).EnsureSuccessStatusCode();
            using var created = (await browser.PostAsJsonAsync("/api/admin/tokens", new { name = "deploy script" })).EnsureSuccessStatusCode();
            token = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
            (await browser.PostAsync("/api/admin/logout", null)).EnsureSuccessStatusCode();

            // Paused, so that neither copy checks anything more and both keep reading the same.
            using var api = Bearer(sqlite, token);
            foreach (var slug in new[] { "api", "website" })
            {
                (await api.PostAsync($"/api/admin/monitors/{slug}/pause", null)).EnsureSuccessStatusCode();
            }
            sqlite.SendSigterm();
            Assert.Equal(0, await sqlite.WaitForExitAsync());
        }
        await AddWeekOfHistoryAsync(database);
        var sourceHash = Hash(database);

        var migrated = await HostProcess.RunAsync(work, ["migrate-data", "--from", database, "--to", connectionString]);

        Assert.True(migrated.ExitCode == 0, $"{migrated.Stdout}\n{migrated.Stderr}");
        Assert.Contains("Verified: every table holds as many rows as the source.", migrated.Stdout);
        Assert.DoesNotContain("never-printed-secret", migrated.Stdout + migrated.Stderr);
        Assert.Equal(sourceHash, Hash(database));
        Assert.False(File.Exists(database + "-wal") || File.Exists(database + "-shm"), "the read-only copy left files beside the source");
        // Every table of the model has as many rows in PostgreSQL as in the file; the install filled each table it has
        // (a table added later is copied by the same code, and compared here even while this install leaves it empty).
        var sourceCounts = await CountRowsAsync(Sqlite(database));
        var targetCounts = await CountRowsAsync(Postgres(connectionString));
        Assert.Equal(sourceCounts, targetCounts);
        foreach (var table in new[]
                 {
                     "monitors", "check_results", "hourly_rollups", "daily_rollups", "status_events", "alerts", "notifications",
                     "delivery_attempts", "maintenance_windows", "admin_accounts", "api_tokens", "ended_sessions",
                 })
        {
            Assert.True(sourceCounts[table] > 0, $"the test's install has no rows in {table}");
        }
        // A system alert's notification, which belongs to no monitor, is copied as it is.
        Assert.Equal("location.offline", await PostgresServer.ScalarAsync<string>(connectionString, "SELECT \"Event\" FROM notifications WHERE \"MonitorId\" IS NULL"));

        // The same binary on the unchanged SQLite file and on the PostgreSQL copy, side by side, read at the same moment.
        await using var onSqlite = await HostProcess.StartServingAsync(work, ["--config", config]);
        await using var onPostgres = await HostProcess.StartServingAsync(TestPaths.NewTempDirectory(), ["--config", config], OnPostgres(connectionString));
        using var sqliteClient = onSqlite.NewClient();
        using var postgresClient = onPostgres.NewClient();
        var (before, after) = await Eventually.Until(async () => (await ReadPagesAsync(sqliteClient), await ReadPagesAsync(postgresClient)),
            pair => pair.Item1 == pair.Item2, TimeSpan.FromSeconds(60), "the status page and the event log to read the same on SQLite and PostgreSQL");
        Assert.Equal(before, after);
        // The week is really there: the injected incident, and the status page's bars over seven days.
        Assert.Contains("synthetic outage", before);
        var page = (await sqliteClient.GetFromJsonAsync<JsonObject>("/api/status/page"))!;
        var checksPerDay = page["monitors"]![0]!["days"]!["checks"]!.AsArray().Select(n => (int)n!).ToList();
        Assert.True(checksPerDay.Count(n => n > 0) >= 7, $"days with checks: {string.Join(",", checksPerDay)}");

        // The account and the token work on PostgreSQL.
        using var postgresBrowser = new HttpClient(new HttpClientHandler { CookieContainer = new() }) { BaseAddress = onPostgres.Address };
        (await postgresBrowser.PostAsJsonAsync("/api/admin/login", new { password = Password })).EnsureSuccessStatusCode();
        using var postgresApi = Bearer(onPostgres, token);
        var me = (await postgresApi.GetFromJsonAsync<JsonObject>("/api/admin/me"))!;
        Assert.Equal("deploy script", (string?)me["tokenName"]);

        // New rows get ids after the copied ones (the sequences were moved past them): a resume writes the next event.
        var lastEvent = (await postgresClient.GetFromJsonAsync<JsonObject>("/api/events?after=0&limit=1000"))!["events"]!.AsArray()
            .Max(e => (long)e!["id"]!);
        (await postgresApi.PostAsync("/api/admin/monitors/api/resume", null)).EnsureSuccessStatusCode();
        var next = await Eventually.Until(() => postgresClient.GetFromJsonAsync<JsonObject>($"/api/events?after={lastEvent}"),
            e => e!["events"]!.AsArray().Count > 0, TimeSpan.FromSeconds(30), "the resume's event on PostgreSQL");
        Assert.True((long)next!["events"]![0]!["id"]! > lastEvent);
    }

    [Fact]
    public async Task A_target_with_data_is_refused_unless_overwrite_is_given_and_the_password_is_never_shown()
    {
        var first = await CreateInstallAsync(TestPaths.NewTempDirectory(), 1);
        var second = await CreateInstallAsync(TestPaths.NewTempDirectory(), 2);
        var connectionString = await postgres.CreateDatabaseAsync() + ";Password=refused-secret";
        var shown = connectionString.Replace("refused-secret", "***");

        var copied = await MigrateAsync(first, connectionString);
        var again = await MigrateAsync(first, connectionString);
        var other = await MigrateAsync(second, connectionString);
        var monitorsAfterRefusals = await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM monitors");
        var overwritten = await MigrateAsync(second, connectionString, "--overwrite");

        Assert.True(copied.ExitCode == 0, copied.Stderr);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"--to \"{shown}\" is not empty (", again.Stderr);
        Assert.Contains($"It holds a finished copy of \"{first}\"", again.Stderr);
        Assert.Contains("--overwrite deletes every UptimeWatch row in it first", again.Stderr);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains($"--to \"{shown}\" is not empty (monitors 1", other.Stderr);
        Assert.Equal(1, monitorsAfterRefusals);
        Assert.True(overwritten.ExitCode == 0, overwritten.Stderr);
        Assert.Contains("--overwrite: deleting the target's UptimeWatch rows (monitors 1", overwritten.Stdout);
        Assert.Equal(2, await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM monitors"));
        foreach (var run in new[] { copied, again, other, overwritten })
        {
            Assert.DoesNotContain("refused-secret", run.Stdout + run.Stderr);
        }
    }

    [Fact]
    public async Task A_copy_killed_half_way_goes_on_where_it_stopped_without_duplicates()
    {
        var work = TestPaths.NewTempDirectory();
        var database = await CreateInstallAsync(work, 3);
        const int checks = 60_000;
        await using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {checks - 1})
                INSERT INTO check_results (MonitorId, At, Outcome, ResponseMs, InMaintenance)
                SELECT m.Id, 1764000000000 + i * 10000, 1, 100 + i % 50, 0
                FROM n JOIN (SELECT Id, row_number() OVER (ORDER BY Id) - 1 AS k FROM monitors) m ON m.k = n.i % 3
                """;
            await insert.ExecuteNonQueryAsync();
        }
        var sourceHash = Hash(database);
        long sourceCount, sourceIdSum;
        using (var source = ServingProcess.Open(database))
        {
            sourceCount = ServingProcess.Scalar(source, "SELECT count(*) FROM check_results");
            sourceIdSum = ServingProcess.Scalar(source, "SELECT sum(Id) FROM check_results");
        }
        var connectionString = await postgres.CreateDatabaseAsync();

        // Small batches, so that the kill lands among hundreds of committed ones.
        await using (var stopped = HostProcess.StartCommand(work, ["migrate-data", "--from", database, "--to", connectionString, "--batch-size", "50"]))
        {
            await Eventually.Until(() => Task.FromResult(stopped.Stdout), o => o.Contains("  check_results: ") || stopped.Stderr.Length > 2,
                TimeSpan.FromSeconds(120), "the copy to reach check_results");
            await stopped.KillAsync();
            Assert.True(stopped.Stderr.Trim().Length == 0, stopped.Stderr);
        }
        var partial = await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM check_results");
        Assert.InRange(partial, 1, sourceCount - 1);

        var resumed = await MigrateAsync(database, connectionString);

        Assert.True(resumed.ExitCode == 0, $"{resumed.Stdout}\n{resumed.Stderr}");
        Assert.Contains("Resuming the copy started", resumed.Stdout);
        Assert.Contains($"check_results: {partial} of {sourceCount} rows already copied, going on after Id ", resumed.Stdout);
        Assert.Contains("Verified: every table holds as many rows as the source.", resumed.Stdout);
        Assert.Equal(sourceCount, await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(DISTINCT \"Id\") FROM check_results"));
        Assert.Equal(sourceCount, await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM check_results"));
        Assert.Equal(sourceIdSum, (long)await PostgresServer.ScalarAsync<decimal>(connectionString, "SELECT sum(\"Id\") FROM check_results"));
        Assert.Equal(sourceHash, Hash(database));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_a_sentence_that_names_the_argument()
    {
        var work = TestPaths.NewTempDirectory();
        var notADatabase = Path.Combine(work, "notes.txt");
        await File.WriteAllTextAsync(notADatabase, new string('x', 4096));
        const string valid = "Host=127.0.0.1;Port=1;Database=unused";

        var cases = new (string[] Args, string Expected)[]
        {
            ([], "migrate-data needs --from <sqlite file>"),
            (["--from", notADatabase], "migrate-data needs --to <connection string>"),
            (["--from"], "--from needs the SQLite database file to copy"),
            (["--from", "missing.db", "--to", valid], $"--from \"{Path.Combine(work, "missing.db")}\": no such file"),
            (["--from", work, "--to", valid], $"--from \"{work}\" is a folder: give the database file"),
            (["--from", notADatabase, "--to", valid], $"--from \"{notADatabase}\" is not a SQLite database"),
            (["--from", notADatabase, "--to", "Hots=db;Password=hunter2-secret"], "--to \"Hots=db;Password=***\" is not a PostgreSQL connection string: Npgsql does not know the keyword(s) \"Hots\""),
            (["--from", notADatabase, "--to", valid, "--batch-size", "0"], "--batch-size \"0\" is not a number of rows from 1 to 100000"),
            (["--frm", notADatabase], "\"--frm\" is not an argument of migrate-data: it takes --from <sqlite file>, --to <connection string>, --overwrite, --batch-size <rows>"),
            (["--from", notADatabase, "Host=db;Password=hunter2-secret"], "\"Host=db;Password=***\" is not an argument of migrate-data"),
        };
        foreach (var (args, expected) in cases)
        {
            var run = await HostProcess.RunAsync(work, ["migrate-data", .. args]);
            var shown = $"migrate-data {string.Join(' ', args)} → {run.ExitCode}\n{run.Stdout}\n{run.Stderr}";
            Assert.True(run.ExitCode == 2, shown);
            Assert.True(run.Stderr.Contains(expected, StringComparison.Ordinal), shown);
            Assert.DoesNotContain("   at ", run.Stderr);
            Assert.DoesNotContain("hunter2-secret", run.Stdout + run.Stderr);
        }
    }

    /// <summary>The binary, started once on SQLite with this many monitors and stopped: the folder's database file.</summary>
    private static async Task<string> CreateInstallAsync(string work, int monitors)
    {
        using var closed = ClosedPort.Take();
        var config = ServingProcess.WriteConfig(work, Enumerable.Range(1, monitors)
            .Select(i => new { Name = $"site {i}", Url = $"http://127.0.0.1:{closed.Port}/", IntervalSeconds = 60, TimeoutSeconds = 1 }));
        await using var host = await HostProcess.StartServingAsync(work, ["--config", config]);
        host.SendSigterm();
        Assert.Equal(0, await host.WaitForExitAsync());
        return Path.Combine(work, "data", "uptimewatch.db");
    }

    private static Task<Exited> MigrateAsync(string database, string connectionString, params string[] more) =>
        HostProcess.RunAsync(Path.GetDirectoryName(database)!, ["migrate-data", "--from", database, "--to", connectionString, .. more]);

    /// <summary>
    /// A week of history as a long-running install has it, written the way the app stores it: checks every 10 minutes,
    /// hourly and daily rollups, an outage with its events, alert and delivered notification, a maintenance window.
    /// </summary>
    private static async Task AddWeekOfHistoryAsync(string database)
    {
        await using var db = Sqlite(database);
        var monitors = await db.Monitors.OrderBy(m => m.Id).ToListAsync();
        var hour = DateTimeOffset.UtcNow;
        hour = new DateTimeOffset(hour.Year, hour.Month, hour.Day, hour.Hour, 0, 0, TimeSpan.Zero);
        var today = new DateTimeOffset(hour.Year, hour.Month, hour.Day, 0, 0, 0, TimeSpan.Zero);
        var outage = today.AddDays(-3).AddHours(14);
        foreach (var monitor in monitors)
        {
            // Whole hours before the current one, and whole days before today: the app's own rollups are newer.
            for (var at = today.AddDays(-7); at < hour.AddHours(-1); at = at.AddMinutes(10))
            {
                var down = monitor.Slug == "api" && at >= outage && at < outage.AddHours(1);
                db.CheckResults.Add(new CheckResult
                {
                    MonitorId = monitor.Id, At = at, Outcome = down ? CheckOutcome.Down : CheckOutcome.Up,
                    ResponseMs = down ? null : 80 + at.Minute, HttpStatus = down ? null : 200,
                    Error = down ? "connection refused" : null, Category = down ? "connection_refused" : null,
                });
            }
            for (var start = today.AddDays(-7); start < hour.AddHours(-1); start = start.AddHours(1))
            {
                var failures = monitor.Slug == "api" && start == outage ? 6 : 0;
                db.HourlyRollups.Add(Rollup(monitor.Id, start, 6, failures));
            }
            for (var day = today.AddDays(-7); day < today; day = day.AddDays(1))
            {
                db.DailyRollups.Add(Rollup(monitor.Id, day, 144, monitor.Slug == "api" && day == today.AddDays(-3) ? 6 : 0));
            }
        }
        var api = monitors.Single(m => m.Slug == "api");
        var wentDown = new StatusEvent
        {
            MonitorId = api.Id, From = MonitorStatus.Up, To = MonitorStatus.Down, At = outage, Reason = "synthetic outage: connection refused",
            Category = "connection_refused", PublicReason = "synthetic outage", Kind = EventKind.Status,
        };
        db.StatusEvents.Add(wentDown);
        await db.SaveChangesAsync();
        var alert = new Alert
        {
            MonitorId = api.Id, Kind = "down", RaisedAt = outage, RaisedEventId = wentDown.Id, Reason = "synthetic outage",
            AcknowledgedAt = outage.AddMinutes(5), AcknowledgedBy = "admin", Note = "looking",
        };
        db.Alerts.Add(alert);
        await db.SaveChangesAsync();
        var cameBack = new StatusEvent
        {
            MonitorId = api.Id, From = MonitorStatus.Down, To = MonitorStatus.Up, At = outage.AddHours(1), Reason = "synthetic outage over",
            Kind = EventKind.Status, AlertId = alert.Id,
        };
        db.StatusEvents.Add(cameBack);
        await db.SaveChangesAsync();
        alert.ResolvedAt = cameBack.At;
        alert.ResolvedEventId = cameBack.Id;
        alert.ResolvedReason = "up again";
        var notification = new OutboxNotification
        {
            Key = $"alert-{alert.Id}-down", AlertId = alert.Id, MonitorId = api.Id, Channel = "ops", Event = "down", Payload = "{\"text\":\"Api is down\"}",
            State = NotificationState.Sent, Attempts = 2, CreatedAt = outage, NextAttemptAt = outage.AddSeconds(30), DoneAt = outage.AddSeconds(31),
            LastError = "HTTP 502 on the first attempt",
        };
        // A system alert's: about a probe location, no monitor.
        var locationOffline = new OutboxNotification
        {
            Key = "location:eu-west:offline:1:ops", MonitorId = null, Channel = "ops", Event = "location.offline",
            Payload = "{\"text\":\"location eu-west is offline\"}", State = NotificationState.Sent, Attempts = 1, CreatedAt = outage,
            NextAttemptAt = outage, DoneAt = outage.AddSeconds(1),
        };
        db.Notifications.AddRange(notification, locationOffline);
        await db.SaveChangesAsync();
        db.DeliveryAttempts.AddRange(
            new DeliveryAttempt { NotificationId = notification.Id, At = outage.AddSeconds(1), Delivered = false, StatusCode = 502, Error = "bad gateway", DurationMs = 40 },
            new DeliveryAttempt { NotificationId = notification.Id, At = outage.AddSeconds(31), Delivered = true, StatusCode = 200, DurationMs = 35 },
            new DeliveryAttempt { NotificationId = locationOffline.Id, At = outage.AddSeconds(1), Delivered = true, StatusCode = 200, DurationMs = 20 });
        db.MaintenanceEntries.Add(new MaintenanceEntry
        {
            MonitorId = monitors.Single(m => m.Slug == "website").Id, Start = today.AddDays(-2).AddHours(2), End = today.AddDays(-2).AddHours(3),
            Reason = "database upgrade", CreatedBy = "admin", CreatedAt = today.AddDays(-3),
        });
        await db.SaveChangesAsync();
    }

    private static Rollup Rollup(int monitorId, DateTimeOffset start, int checks, int failures) => new()
    {
        MonitorId = monitorId, Start = start, Checks = checks, Failures = failures, MinMs = 80, MaxMs = 139,
        SumMs = (checks - failures) * 105L, TimedChecks = checks - failures, P95Ms = 135,
    };

    /// <summary>What the status page and the event log show, as JSON text (the page's generation time left out).</summary>
    private static async Task<string> ReadPagesAsync(HttpClient client)
    {
        var text = new List<string>();
        foreach (var path in new[]
                 {
                     "/api/status", "/api/status/page", "/api/events?after=0&limit=1000", "/api/incidents?pageSize=100",
                     "/api/monitors/api/checks?limit=1000", "/api/monitors/website/checks?limit=1000",
                 })
        {
            var json = (await client.GetFromJsonAsync<JsonObject>(path))!;
            json.Remove("generatedAt");
            text.Add($"{path}: {json.ToJsonString()}");
        }
        return string.Join('\n', text);
    }

    /// <summary>Rows per table of the model, by table name.</summary>
    private static async Task<SortedDictionary<string, long>> CountRowsAsync(UptimeWatchDbContext db)
    {
        await using var _ = db;
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Distinct())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM \"{table}\"";
            counts[table] = Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }

    private static UptimeWatchDbContext Sqlite(string database) =>
        new(new DbContextOptionsBuilder<UptimeWatchDbContext>().UseSqlite($"Data Source={database};Pooling=False").Options);

    private static UptimeWatchDbContext Postgres(string connectionString) =>
        new(new DbContextOptionsBuilder<UptimeWatchDbContext>().UseNpgsql(connectionString).Options);

    private static Dictionary<string, string> OnPostgres(string connectionString) => new()
    {
        ["UptimeWatch__Storage__Provider"] = "PostgreSQL",
        ["UptimeWatch__Storage__ConnectionString"] = connectionString,
    };

    private static HttpClient Bearer(HostProcess host, string token)
    {
        var client = host.NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
