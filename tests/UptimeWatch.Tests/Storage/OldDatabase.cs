using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Storage;

/// <summary>
/// A SQLite file as an older version left it, for the migration tests: migrated up to a named migration only, then
/// filled in SQL with the columns the tables had then (the model of today may have more), then migrated the way the
/// app does at start-up.
/// </summary>
internal sealed class OldDatabase
{
    private OldDatabase(string path)
    {
        Path = path;
        // No pooling: a pooled connection would keep the file open after the test, and the app's own start-up
        // (MigrateAsync, or the real binary) must find nothing else holding it.
        Options = new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite($"Data Source={path};Pooling=False", sqlite => sqlite.MigrationsAssembly(StorageExtensions.MigrationsAssembly)).Options;
    }

    public string Path { get; }

    public DbContextOptions<UptimeWatchDbContext> Options { get; }

    /// <summary>A database at <paramref name="path"/> (a new temporary one when null) migrated up to <paramref name="migration"/> (all when null).</summary>
    public static async Task<OldDatabase> MigratedToAsync(string? migration, string? path = null)
    {
        path ??= System.IO.Path.Combine(TestPaths.NewTempDirectory(), "uptimewatch.db");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var database = new OldDatabase(path);
        await using var db = database.Open();
        await db.GetService<IMigrator>().MigrateAsync(migration);
        return database;
    }

    public UptimeWatchDbContext Open() => new(Options);

    /// <summary>What the app does at start-up: every migration not applied yet.</summary>
    public async Task MigrateAsync()
    {
        await using var db = Open();
        await db.Database.MigrateAsync();
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await ConnectAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One column of every row <paramref name="sql"/> returns, as text.</summary>
    public async Task<List<string>> QueryAsync(string sql, int column = 0)
    {
        await using var connection = await ConnectAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(column));
        }
        return rows;
    }

    /// <summary>An open connection outside EF, for writing rows the way an older version did.</summary>
    public async Task<SqliteConnection> ConnectAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }
}
