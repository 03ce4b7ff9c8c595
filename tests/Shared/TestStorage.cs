using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Testing;

/// <summary>
/// The provider switch of the test suite: <c>UW_TEST_PROVIDER=PostgreSQL</c> runs every <see cref="UptimeWatchApp"/> on
/// one throwaway PostgreSQL server for the whole test run, one database per data folder (so an app restarted on the
/// same folder finds its data again, as it would in its SQLite file). Unset or <c>Sqlite</c>: the SQLite file, as ever.
/// </summary>
internal static class TestStorage
{
    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable("UW_TEST_PROVIDER"), "PostgreSQL", StringComparison.OrdinalIgnoreCase);

    private static readonly Lazy<PostgresServer> Server = new(() =>
    {
        var server = PostgresServer.StartAsync().GetAwaiter().GetResult();
        // Not ProcessExit: the test host may be ended before a handler stops the server and deletes its data.
        server.StopWhenThisProcessExits();
        return server;
    });

    private static readonly ConcurrentDictionary<string, Lazy<string>> Databases = new();

    /// <summary>Adds the PostgreSQL provider to <paramref name="settings"/> unless the test chose its storage itself.</summary>
    public static void Apply(string dataDirectory, Dictionary<string, string?> settings)
    {
        if (!IsPostgres || settings.ContainsKey("UptimeWatch:Storage:Provider") || settings.ContainsKey("UptimeWatch:Storage:ConnectionString"))
        {
            return;
        }
        settings["UptimeWatch:Storage:Provider"] = "PostgreSQL";
        settings["UptimeWatch:Storage:ConnectionString"] = Databases.GetOrAdd(Path.GetFullPath(dataDirectory),
            _ => new Lazy<string>(() => Server.Value.CreateDatabaseAsync(migrated: true).GetAwaiter().GetResult())).Value;
    }

    /// <summary>
    /// The database of <paramref name="dataDirectory"/> on whichever provider its app runs, for a test that reads or
    /// writes stored rows itself (also between two runs, while no app is up). The data folder's app must have run once.
    /// </summary>
    public static UptimeWatchDbContext OpenDatabase(string dataDirectory)
    {
        var options = new DbContextOptionsBuilder<UptimeWatchDbContext>();
        if (IsPostgres)
        {
            var database = Databases.TryGetValue(Path.GetFullPath(dataDirectory), out var created)
                ? created.Value
                : throw new InvalidOperationException($"No PostgreSQL database for the data folder \"{dataDirectory}\": no app ran on it");
            options.UseNpgsql(database);
        }
        else
        {
            // No pooling: the file is not held open once the test lets go of it (the next app run, the folder's deletion).
            options.UseSqlite($"Data Source={Path.Combine(dataDirectory, "uptimewatch.db")};Pooling=False;Default Timeout=30");
        }
        return new UptimeWatchDbContext(options.Options);
    }

    /// <summary>
    /// The trait of test classes about the SQLite file itself (its locks, its migrations from old versions, its backup,
    /// its disk) or that pick their storage themselves, among them every test of the real binary run as a process (it
    /// stores in its own data folder's SQLite file: the cluster tests and the image test run it on PostgreSQL):
    /// <c>[Trait("Storage", "SqliteFile")]</c>. test.sh leaves them out of the PostgreSQL pass, where they would only run
    /// the same way a second time.
    /// </summary>
    public const string SqliteFileTrait = "SqliteFile";

    /// <summary>
    /// The trait of test classes that store nothing (the probes against real servers, config reading, the state
    /// machine on its own): <c>[Trait("Storage", TestStorage.NoStorageTrait)]</c>. They do not depend on the provider,
    /// so test.sh runs them in the SQLite pass only. A class that starts an app or opens a database must not carry it.
    /// </summary>
    public const string NoStorageTrait = "None";

    /// <summary>
    /// The settings that keep an app on its SQLite file whatever <c>UW_TEST_PROVIDER</c> says, for tests of what only
    /// SQLite has (a database file on a full disk, a file written by an old version): they are run, never skipped.
    /// </summary>
    public static Dictionary<string, string?> SqliteOnly(Dictionary<string, string?>? settings = null) =>
        new(settings ?? []) { ["UptimeWatch:Storage:Provider"] = "Sqlite" };
}
