using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace UptimeWatch.IntegrationTests.Agents;

/// <summary>
/// The server stopped (<c>kill -9</c> of the server's own process) for 60 s while a real agent keeps probing: on its
/// return the agent's buffered checks are stored, each on its own slot, none lost and none twice.
/// </summary>
public sealed class AgentOutageTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Checks_made_while_the_server_was_stopped_for_60_s_are_stored_on_their_own_slots_without_a_gap_or_a_duplicate()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var config = ClusterNodes.WriteConfig(work,
            [new { Name = "Shop", Url = target.Url("/ok").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, Locations = "eu-west" }],
            new { Admin = new { InitialPassword = Password } });
        // An address of its own on loopback, so the restarted server can take the same port back with no one else after it.
        var server = await HostProcess.StartServingAsync(work, ["--config", config, "--urls", "http://127.0.0.77:0"]);
        var address = server.Address;
        var agentData = TestPaths.NewTempDirectory("uw-agent");
        var database = Path.Combine(work, "data", "uptimewatch.db");
        HostProcess? agent = null;
        DateTimeOffset stoppedAt;
        try
        {
            string token;
            using (var console = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address })
            {
                using var login = await console.PostAsJsonAsync("/api/admin/login", new { password = Password });
                login.EnsureSuccessStatusCode();
                using var created = await console.PostAsJsonAsync("/api/admin/agent-tokens", new { location = "eu-west" });
                token = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
            }
            agent = HostProcess.StartCommand(agentData,
                ["agent", $"--UptimeWatch:Agent:Server={address}", $"--UptimeWatch:Agent:Token={token}", "--UptimeWatch:Agent:Location=eu-west",
                 $"--UptimeWatch:DataDirectory={agentData}"]);
            await Eventually.Until(() => Task.FromResult(AgentSlots(database)), s => s.Count >= 3, TimeSpan.FromSeconds(60), "the agent's first checks stored");

            await server.KillAsync();
            stoppedAt = DateTimeOffset.UtcNow;
        }
        catch
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
            throw;
        }
        finally
        {
            // Killed already, or on a failure before that: no server outlives the test.
            await server.DisposeAsync();
        }
        await using var running = agent!;
        await Task.Delay(TimeSpan.FromSeconds(60));
        var restartedAt = DateTimeOffset.UtcNow;
        await using var restarted = await HostProcess.StartServingAsync(work, ["--config", config, "--urls", $"http://127.0.0.77:{address.Port}"]);

        // Every slot from the first to one after the restart, each once: the outage's slots came from the agent's buffer.
        var slots = await Eventually.Until(() => Task.FromResult(AgentSlots(database)),
            s => s.Count > 0 && s[^1] > restartedAt.AddSeconds(2), TimeSpan.FromSeconds(90), "the agent's checks after the restart");
        Assert.Equal(slots.Count, slots.Distinct().Count());
        var gaps = slots.Zip(slots.Skip(1)).Where(p => p.Second - p.First != TimeSpan.FromSeconds(1)).ToList();
        Assert.True(gaps.Count == 0, $"slots missing between: {string.Join(", ", gaps.Select(g => $"{g.First:HH:mm:ss.fff}–{g.Second:HH:mm:ss.fff}"))}\n{running.Stdout}");
        Assert.True(slots[0] < stoppedAt && slots.Count(s => s > stoppedAt && s < restartedAt) >= 55,
            $"{slots.Count(s => s > stoppedAt && s < restartedAt)} slots stored from the 60 s outage");
    }

    /// <summary>The slots of the agent's stored checks, oldest first, read beside the running server (WAL).</summary>
    private static List<DateTimeOffset> AgentSlots(string database)
    {
        if (!File.Exists(database))
        {
            return [];
        }
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Slot\" FROM check_results WHERE \"LocationId\" <> 0 AND \"Slot\" IS NOT NULL";
        var slots = new List<DateTimeOffset>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            slots.Add(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)));
        }
        return [.. slots.Order()];
    }
}
