using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

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
        // A no-op on PostgreSQL, where several nodes share the database: they take turns with an advisory lock below.
        dataDirectoryLock.Acquire();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        var sqlite = db.Database.IsSqlite();
        IReadOnlySet<string>? applied = null;
        if (sqlite)
        {
            applied = await RemoveStaleMigrationLockAsync(db, cancellationToken);
        }
        var clusterLock = db.Database.IsNpgsql() ? await TakeClusterLockAsync(db, cancellationToken) : null;
        List<string> pending;
        try
        {
            if (clusterLock is not null)
            {
                // Npgsql looks for applied migrations by reading the history table and taking "no such table" for none,
                // which EF logs as a failed command (an ERR line on every first start); with the table there, it is not.
                await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
            }
            // An up-to-date database (every start but the first after an upgrade) is recognised from the history read
            // above; EF's own look builds a model of its history table first (0.4 s of a start, docs/performance.md).
            // Anything pending is looked at again by EF, which then migrates.
            pending = applied is not null && db.GetService<IMigrationsAssembly>().Migrations.Keys.All(applied.Contains)
                ? []
                : (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            // Migrate() takes EF's migration lock even when there is nothing to do: skip it on an up-to-date database.
            if (pending.Count > 0)
            {
                LogMigrating(pending.Count, string.Join(", ", pending));
                await db.Database.MigrateAsync(cancellationToken);
            }
        }
        finally
        {
            if (clusterLock is not null)
            {
                await clusterLock.DisposeAsync();
            }
        }
        if (sqlite)
        {
            // Readers never block the writer and the writer never blocks readers.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }
        LogMigrated(pending.Count, db.Database.GetDbConnection().DataSource);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The advisory lock that lets one node at a time look at and migrate a PostgreSQL schema ("UWmigr").</summary>
    private const long MigrationLock = 0x5557_6D69_6772;

    /// <summary>
    /// Several nodes started at once on one PostgreSQL database must not migrate it side by side: each would find the
    /// same migrations pending and race to create the same tables (EF's own lock is taken only inside Migrate(), after
    /// the history table was looked for and created). A session-level advisory lock around "what is pending" and the
    /// migration makes the others wait and then find nothing to do. The server drops it with the session, so a node
    /// killed while migrating leaves no stale lock behind. Released (with the connection) on dispose.
    /// </summary>
    private async Task<IAsyncDisposable> TakeClusterLockAsync(UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var taken = await db.Database.SqlQueryRaw<bool>($"SELECT pg_try_advisory_lock({MigrationLock}) AS \"Value\"").SingleAsync(cancellationToken);
        if (!taken)
        {
            LogWaitingForMigration();
            var timeout = db.Database.GetCommandTimeout();
            // However long another node's migration takes (an index on a large table): 0 is no limit for Npgsql.
            db.Database.SetCommandTimeout(0);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({MigrationLock})", cancellationToken);
            db.Database.SetCommandTimeout(timeout);
        }
        return new ClusterLock(db);
    }

    private sealed class ClusterLock(UptimeWatchDbContext db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({MigrationLock})");
            }
            finally
            {
                // Closing the session releases the lock anyway, should the unlock itself have failed.
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    /// <summary>
    /// EF Core keeps its SQLite migration lock as a row in <c>__EFMigrationsLock</c>, deleted when Migrate() ends. A
    /// process killed during a migration leaves the row behind, and every later Migrate() waits for it forever
    /// (dotnet/efcore#38958). The data-folder lock says no other UptimeWatch runs here, so a row found now is stale.
    /// Returns the applied migrations from the same look at the file (none on a new file).
    /// </summary>
    private async Task<IReadOnlySet<string>> RemoveStaleMigrationLockAsync(UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        // Plain commands on EF's connection (its interceptors set the pragmas): no query of the model is needed here.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = db.Database.GetDbConnection();
            var tables = new HashSet<string>(StringComparer.Ordinal);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('__EFMigrationsLock', '__EFMigrationsHistory')";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    tables.Add(reader.GetString(0));
                }
            }
            if (tables.Contains("__EFMigrationsLock"))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM \"__EFMigrationsLock\"";
                if (await command.ExecuteNonQueryAsync(cancellationToken) > 0)
                {
                    LogStaleLockRemoved();
                }
            }
            var applied = new HashSet<string>(StringComparer.Ordinal);
            if (tables.Contains("__EFMigrationsHistory"))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\"";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetString(0));
                }
            }
            return applied;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [LoggerMessage(LogLevel.Information, "Applying {Count} database migration(s): {Migrations}")]
    private partial void LogMigrating(int count, string migrations);

    [LoggerMessage(LogLevel.Information, "Database {DataSource} is up to date ({Applied} migrations applied)")]
    private partial void LogMigrated(int applied, string dataSource);

    [LoggerMessage(LogLevel.Information, "Another node is migrating the database: waiting for it to finish")]
    private partial void LogWaitingForMigration();

    [LoggerMessage(LogLevel.Warning, "Removed a stale database migration lock, left by a start that was stopped during a migration")]
    private partial void LogStaleLockRemoved();
}
