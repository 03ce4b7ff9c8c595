using System.Collections.Concurrent;

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
            _ => new Lazy<string>(() => Server.Value.CreateDatabaseAsync().GetAwaiter().GetResult())).Value;
    }
}
