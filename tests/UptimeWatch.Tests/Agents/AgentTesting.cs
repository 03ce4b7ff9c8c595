using System.Text.Json;
using Microsoft.Data.Sqlite;
using UptimeWatch.Agents;
using UptimeWatch.Scheduling;

namespace UptimeWatch.Tests.Agents;

/// <summary>The agent as a real process (<c>dotnet UptimeWatch.dll agent …</c>) against a <see cref="FakeAgentServer"/>.</summary>
internal static class AgentTesting
{
    /// <summary>Starts <c>UptimeWatch agent</c> with its data folder <paramref name="data"/> (also its working directory).</summary>
    public static HostProcess Start(FakeAgentServer server, string data, string location = FakeAgentServer.Location,
        string token = FakeAgentServer.Token) =>
        HostProcess.StartCommand(data,
        [
            "agent",
            $"--UptimeWatch:Agent:Server={server.BaseUrl}",
            $"--UptimeWatch:Agent:Token={token}",
            $"--UptimeWatch:Agent:Location={location}",
            $"--UptimeWatch:DataDirectory={data}",
        ]);

    /// <summary>Waits, under one deadline, until <paramref name="done"/>; fails with the agent's output.</summary>
    public static Task WaitForAsync(HostProcess agent, string what, Func<bool> done) =>
        Eventually.Within(HostProcess.Deadline, what, async ct =>
        {
            while (!done())
            {
                await Task.Delay(100, ct);
            }
            return true;
        }, () => $"\n{agent.Stdout}\n{agent.Stderr}");

    /// <summary>The checks in an agent's buffer file, read beside the running agent (WAL: readers do not block it).</summary>
    public static List<AgentCheck> ReadBuffer(string data)
    {
        var path = Path.Combine(data, AgentBuffer.FileName);
        if (!File.Exists(path))
        {
            return [];
        }
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM checks ORDER BY slot, id";
        using var reader = command.ExecuteReader();
        var checks = new List<AgentCheck>();
        while (reader.Read())
        {
            checks.Add(JsonSerializer.Deserialize<AgentCheck>(reader.GetString(0), AgentProtocol.Json)!);
        }
        return checks;
    }

    /// <summary>Whether the check's slot is a slot of its monitor's grid on the server.</summary>
    public static bool OnGrid(AgentCheck check, int intervalSeconds) =>
        Partitions.SlotAtOrAfter(check.Monitor, TimeSpan.FromSeconds(intervalSeconds), check.Slot) == check.Slot;
}
