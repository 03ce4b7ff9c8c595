using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Testing;

/// <summary>
/// The SQLite counterpart of <see cref="PostgresServer.CreateDatabaseAsync"/>'s migrated copy: a database file migrated
/// once per test run with UptimeWatch's own migrations, copied into a fresh data folder before its in-process app
/// starts, which then finds it up to date, as every start after the first does. Migrating a new file cost each of the
/// suite's hundreds of in-process starts 50-330 ms of CPU (once the JIT is warm); a copy costs nothing. The migrations themselves are tested
/// where they are the subject (the binary started on an empty folder, the files of older versions, the migration lock).
/// </summary>
internal static class SqliteTemplate
{
    private static readonly Lazy<string> Migrated = new(Migrate);

    /// <summary>Copies the migrated file into <paramref name="dataDirectory"/> unless a database file is there already.</summary>
    public static void CopyInto(string dataDirectory)
    {
        var target = Path.Combine(dataDirectory, "uptimewatch.db");
        if (!Directory.Exists(dataDirectory) || File.Exists(target))
        {
            return;
        }
        File.Copy(Migrated.Value, target);
    }

    private static string Migrate()
    {
        var file = Path.Combine(TestPaths.NewTempDirectory("uw-template"), "uptimewatch.db");
        // As the app opens it (StorageExtensions), without pooling: nothing holds the file once it is migrated.
        var options = new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite($"Data Source={file};Pooling=False", sqlite => sqlite.MigrationsAssembly(StorageExtensions.MigrationsAssembly))
            .UseModel(Migrations.CompiledModel.UptimeWatchDbContextModel.Instance)
            .AddInterceptors(SqlitePragmas.Instance)
            .Options;
        using var db = new UptimeWatchDbContext(options);
        db.Database.Migrate();
        return file;
    }
}
