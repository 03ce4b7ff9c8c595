using System.Text.Json;
using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>UptimeWatch served by the real binary from a config file in a work folder, and its database read directly.</summary>
internal static class ServingProcess
{
    /// <summary>Writes a config with these monitors (and settings) to work/config.json and returns its path.</summary>
    public static string WriteConfig(string work, IEnumerable<object> monitors, object? extra = null) =>
        ClusterNodes.WriteConfig(work, monitors, extra);

    /// <summary>Starts serving this config on a port the OS picks and waits until the status API answers.</summary>
    public static async Task<(HostProcess Host, HttpClient Client)> StartAsync(string work, string config)
    {
        var host = await HostProcess.StartServingAsync(work, ["--config", config]);
        return (host, host.NewClient());
    }

    /// <summary>Runs a command of the binary to its end and returns its exit code and output.</summary>
    public static Task<Exited> RunAsync(string work, params string[] args) => HostProcess.RunAsync(work, args);

    /// <summary>A read-only connection to a database file that does not keep it open or create it.</summary>
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Checks stored per monitor slug with the given outcome (1 up, 2 down, 3 missed, 4 degraded).</summary>
    public static Dictionary<string, long> ChecksBySlug(SqliteConnection connection, int outcome)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT m.Slug, count(*) FROM check_results c JOIN monitors m ON m.Id = c.MonitorId
            WHERE c.Outcome = $outcome GROUP BY m.Slug
            """;
        command.Parameters.AddWithValue("$outcome", outcome);
        var result = new Dictionary<string, long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            result[reader.GetString(0)] = reader.GetInt64(1);
        }
        return result;
    }
}
