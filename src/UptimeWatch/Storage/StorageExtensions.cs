using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Storage;

internal static class StorageExtensions
{
    public const string MigrationsAssembly = "UptimeWatch.Migrations";

    /// <summary>PostgreSQL's migrations: a model is the same, the SQL and the snapshot differ per provider.</summary>
    public const string PostgresMigrationsAssembly = "UptimeWatch.Migrations.PostgreSQL";

    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPooledDbContextFactory<UptimeWatchDbContext>((services, db) =>
        {
            var options = services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value;
            if (options.Storage.IsPostgres)
            {
                db.UseNpgsql(ConnectionString(options), npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly))
                  .UseModel(Migrations.PostgreSQL.CompiledModel.UptimeWatchDbContextModel.Instance);
            }
            else
            {
                db.UseSqlite(ConnectionString(options), sqlite => sqlite.MigrationsAssembly(MigrationsAssembly))
                  .UseModel(Migrations.CompiledModel.UptimeWatchDbContextModel.Instance)
                  .AddInterceptors(SqlitePragmas.Instance);
            }
        });
        builder.Services.AddScoped(services =>
            services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContext());

        // First hosted service: it locks the data folder in the host's starting phase, before anything else starts.
        builder.Services.AddSingleton<DataDirectoryLock>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DataDirectoryLock>());
        builder.Services.AddHostedService<DatabaseMigrator>();
        // After the migrator; on SQLite it does nothing (one node, no one to tell).
        builder.Services.AddSingleton<DatabaseSignals>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DatabaseSignals>());
        return builder;
    }

    /// <summary>
    /// Takes the data folder's lock before the host starts anything, so that a second UptimeWatch on the same folder is
    /// refused with one plain sentence (<see cref="DataDirectoryLockedException"/>), not the host's logged stack trace.
    /// </summary>
    public static void LockDataDirectory(this WebApplication app) => app.Services.GetRequiredService<DataDirectoryLock>().Acquire();

    /// <summary>The data folder as an absolute path (relative settings are taken from the working directory).</summary>
    public static string DataDirectory(UptimeWatchOptions options) => Path.GetFullPath(options.DataDirectory);

    public static string ConnectionString(UptimeWatchOptions options) =>
        options.Storage.ConnectionString ?? $"Data Source={Path.Combine(DataDirectory(options), "uptimewatch.db")}";
}
