using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Storage;

/// <summary>Creates the data folder and brings the schema up to date before anything else touches the database.</summary>
internal sealed partial class DatabaseMigrator(
    IOptions<UptimeWatchOptions> options,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(StorageExtensions.DataDirectory(options.Value));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // Readers never block the writer and the writer never blocks readers.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }
        LogMigrated(pending.Count, db.Database.GetDbConnection().DataSource);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Database {DataSource} is up to date ({Applied} migrations applied)")]
    private partial void LogMigrated(int applied, string dataSource);
}
