using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Storage;

/// <summary>
/// MakeNotificationMonitorOptional on a database that already holds notifications: every row and delivery attempt is
/// kept as it was (on SQLite the table is rebuilt), a row without a monitor can be stored afterwards (a system alert's),
/// and a row naming a monitor that does not exist is still refused.
/// </summary>
[Trait("Storage", "SqliteFile")] // picks its storage itself: a SQLite file and this class's own PostgreSQL server, whatever UW_TEST_PROVIDER says
public sealed class NotificationMonitorMigrationTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string SqliteBefore = "20261207050042_AddAgentTokens";
    private const string PostgresBefore = "20261207050103_AddAgentTokens";
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task On_SQLite_the_rebuilt_table_keeps_every_notification_and_attempt_and_takes_a_row_without_a_monitor()
    {
        var old = await OldDatabase.MigratedToAsync(SqliteBefore);
        Assert.Equal(["1"], await old.QueryAsync("SELECT \"notnull\" FROM pragma_table_info('notifications') WHERE name = 'MonitorId'"));

        await MigrateKeepingRowsAsync(old.Options);

        Assert.Equal(["0"], await old.QueryAsync("SELECT \"notnull\" FROM pragma_table_info('notifications') WHERE name = 'MonitorId'"));
        // The rebuilt table has its indexes and its foreign key again; nothing is left of the copy.
        Assert.Equal(["IX_notifications_AlertId", "IX_notifications_Key", "IX_notifications_MonitorId", "IX_notifications_State_Channel_Id"],
            await old.QueryAsync("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications' AND sql IS NOT NULL ORDER BY name"));
        Assert.Equal(["monitors"], await old.QueryAsync("SELECT \"table\" FROM pragma_foreign_key_list('notifications')"));
        Assert.Empty(await old.QueryAsync("SELECT name FROM sqlite_master WHERE name LIKE 'ef_temp%'"));
    }

    [Fact]
    public async Task On_PostgreSQL_every_notification_and_attempt_is_kept_and_a_row_without_a_monitor_is_taken()
    {
        var options = new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(await postgres.CreateDatabaseAsync(), o => o.MigrationsAssembly(StorageExtensions.PostgresMigrationsAssembly)).Options;
        await using (var db = new UptimeWatchDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync(PostgresBefore);
        }

        await MigrateKeepingRowsAsync(options);
    }

    /// <summary>
    /// Fills a database at the migration before with what the older version wrote (in SQL, with the columns of then),
    /// migrates it as the app does at start-up, and checks that nothing was lost and that the column now takes a null, and only
    /// monitors that exist.
    /// </summary>
    private static async Task MigrateKeepingRowsAsync(DbContextOptions<UptimeWatchDbContext> options)
    {
        await using (var db = new UptimeWatchDbContext(options))
        {
            var monitor = new MonitorEntity
            {
                Slug = "shop", Name = "Shop", Type = "http", Target = "https://example.test/", IntervalSeconds = 60, IsPublic = true,
                Definition = "{}", Source = "test", CreatedAt = At, UpdatedAt = At,
            };
            db.Monitors.Add(monitor);
            await db.SaveChangesAsync();
            long t = At.ToUnixTimeMilliseconds();
            const string payload = """{"event":"down","monitor":"shop"}""";
            // Sent after a retry, still pending after a failed attempt, refused for good: the three a user sees in the list.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO notifications ("Key", "AlertId", "MonitorId", "Channel", "Event", "Payload", "State", "Attempts", "CreatedAt", "NextAttemptAt", "DoneAt", "LastError")
                VALUES ('alert:1:down:hook', 1, {monitor.Id}, 'hook', 'down', {payload}, 1, 2, {t}, {t + 5_000}, {t + 5_100}, NULL),
                       ('alert:1:down:mail', 1, {monitor.Id}, 'mail', 'down', {payload}, 0, 1, {t}, {t + 60_000}, NULL, 'connection refused'),
                       ('event:9:degraded:hook', NULL, {monitor.Id}, 'hook', 'degraded', {payload}, 2, 1, {t + 1_000}, {t + 1_000}, {t + 1_200}, 'HTTP 404')
                """);
            var ids = await db.Notifications.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Id).ToListAsync();
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO delivery_attempts ("NotificationId", "At", "Delivered", "StatusCode", "Error", "DurationMs")
                VALUES ({ids[0]}, {t + 10}, {false}, 503, 'HTTP 503', 40),
                       ({ids[0]}, {t + 5_100}, {true}, 200, NULL, 35),
                       ({ids[1]}, {t + 20}, {false}, NULL, 'connection refused', 2),
                       ({ids[2]}, {t + 1_200}, {false}, 404, 'HTTP 404', 12)
                """);
        }
        var before = await RowsAsync(options);
        Assert.Equal((3, 4), (before.Notifications.Count, before.Attempts.Count));

        await using (var db = new UptimeWatchDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        var after = await RowsAsync(options);
        Assert.Equal(before.Notifications, after.Notifications);
        Assert.Equal(before.Attempts, after.Attempts);
        await using (var db = new UptimeWatchDbContext(options))
        {
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            // A system alert's row: no monitor. It takes the next id, after the rows already there.
            var systemAlert = Row("location:eu-west:offline:1:hook", monitorId: null);
            db.Notifications.Add(systemAlert);
            await db.SaveChangesAsync();
            Assert.True(systemAlert.Id > before.Notifications.Max(n => n.Id));
            Assert.Null(await db.Notifications.Where(n => n.Id == systemAlert.Id).Select(n => n.MonitorId).SingleAsync());
        }
        await using (var db = new UptimeWatchDbContext(options))
        {
            // The foreign key stays for rows that name a monitor.
            db.Notifications.Add(Row("alert:2:down:hook", monitorId: 999));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    private static OutboxNotification Row(string key, int? monitorId) => new()
    {
        Key = key, MonitorId = monitorId, Channel = "hook", Event = "location.offline", Payload = "{}", State = NotificationState.Pending,
        CreatedAt = At, NextAttemptAt = At,
    };

    private static async Task<(List<StoredNotification> Notifications, List<StoredAttempt> Attempts)> RowsAsync(DbContextOptions<UptimeWatchDbContext> options)
    {
        await using var db = new UptimeWatchDbContext(options);
        var notifications = await db.Notifications.AsNoTracking().OrderBy(n => n.Id)
            .Select(n => new StoredNotification(n.Id, n.Key, n.AlertId, n.MonitorId, n.Channel, n.Event, n.Payload, n.State, n.Attempts, n.CreatedAt,
                n.NextAttemptAt, n.DoneAt, n.LastError))
            .ToListAsync();
        var attempts = await db.DeliveryAttempts.AsNoTracking().OrderBy(a => a.Id)
            .Select(a => new StoredAttempt(a.Id, a.NotificationId, a.At, a.Delivered, a.StatusCode, a.Error, a.DurationMs))
            .ToListAsync();
        return (notifications, attempts);
    }

    private sealed record StoredNotification(long Id, string Key, long? AlertId, int? MonitorId, string Channel, string Event, string Payload,
        NotificationState State, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? DoneAt, string? LastError);

    private sealed record StoredAttempt(long Id, long NotificationId, DateTimeOffset At, bool Delivered, int? StatusCode, string? Error, int DurationMs);
}
