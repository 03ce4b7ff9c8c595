using Microsoft.EntityFrameworkCore;

namespace UptimeWatch.Storage;

/// <summary>Brings the schema up to date before anything else touches the database.</summary>
internal sealed partial class DatabaseMigrator(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    DataDirectoryLock dataDirectoryLock,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Normally taken already (Program, then the host's starting phase); the stale-lock removal below relies on it.
        // A no-op on PostgreSQL, where EF's migration lock is a session lock the server drops with a dead node.
        dataDirectoryLock.Acquire();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        if (db.Database.IsSqlite())
        {
            await RemoveStaleMigrationLockAsync(db, cancellationToken);
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        // Migrate() takes EF's migration lock even when there is nothing to do: skip it on an up-to-date database.
        if (pending.Count > 0)
        {
            LogMigrating(pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
        }
        if (db.Database.IsSqlite())
        {
            // Readers never block the writer and the writer never blocks readers.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }
        LogMigrated(pending.Count, db.Database.GetDbConnection().DataSource);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// EF Core keeps its SQLite migration lock as a row in <c>__EFMigrationsLock</c>, deleted when Migrate() ends. A
    /// process killed during a migration leaves the row behind, and every later Migrate() waits for it forever
    /// (dotnet/efcore#38958). The data-folder lock says no other UptimeWatch runs here, so a row found now is stale.
    /// </summary>
    private async Task RemoveStaleMigrationLockAsync(UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        var hasTable = await db.Database.SqlQueryRaw<long>(
            "SELECT count(*) AS Value FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'")
            .SingleAsync(cancellationToken) > 0;
        if (!hasTable)
        {
            return;
        }
        var removed = await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsLock\";", cancellationToken);
        if (removed > 0)
        {
            LogStaleLockRemoved();
        }
    }

    [LoggerMessage(LogLevel.Information, "Applying {Count} database migration(s): {Migrations}")]
    private partial void LogMigrating(int count, string migrations);

    [LoggerMessage(LogLevel.Information, "Database {DataSource} is up to date ({Applied} migrations applied)")]
    private partial void LogMigrated(int applied, string dataSource);

    [LoggerMessage(LogLevel.Warning, "Removed a stale database migration lock, left by a start that was stopped during a migration")]
    private partial void LogStaleLockRemoved();
}
