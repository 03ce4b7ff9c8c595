using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>UptimeWatch served by the real binary from a config file in a work folder, and its database read directly.</summary>
internal static class ServingProcess
{
    /// <summary>Writes a config with these monitors (and settings) to work/config.json and returns its path.</summary>
    public static string WriteConfig(string work, IEnumerable<object> monitors, object? extra = null)
    {
        var config = Path.Combine(work, "config.json");
        var section = new Dictionary<string, object?> { ["DataDirectory"] = "data", ["Monitors"] = monitors.ToList() };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                section[property.Name] = property.Value;
            }
        }
        File.WriteAllText(config, JsonSerializer.Serialize(new { UptimeWatch = section }));
        return config;
    }

    /// <summary>Starts serving on a free port and waits until the status API answers.</summary>
    public static async Task<(HostProcess Host, HttpClient Client)> StartAsync(string work, string config)
    {
        var port = TargetServer.FreePort();
        var host = HostProcess.Start(work, ["--config", config, "--urls", $"http://127.0.0.1:{port}"]);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.Until(async () =>
        {
            try
            {
                return await client.GetFromJsonAsync<StatusDto>("/api/status");
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, s => s is not null, TimeSpan.FromSeconds(60), $"UptimeWatch to serve; stderr so far: {host.Stderr}");
        return (host, client);
    }

    /// <summary>Runs a command of the binary to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string work, params string[] args)
    {
        await using var command = HostProcess.Start(work, args);
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return (exitCode, command.Stdout, command.Stderr);
    }

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
