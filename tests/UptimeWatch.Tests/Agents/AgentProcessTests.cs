namespace UptimeWatch.Tests.Agents;

/// <summary>
/// <c>UptimeWatch agent</c> as a real process against a protocol-speaking test double of the server's <c>/ws/agent</c>
/// (<see cref="FakeAgentServer"/>), everything on 127.0.0.1.
/// </summary>
// The agent has no server database: run once, not once per provider (test.sh).
[Trait("Storage", "SqliteFile")]
public sealed class AgentProcessTests : IAsyncLifetime
{
    private readonly string _data = TestPaths.NewTempDirectory("uw-agent");
    private FakeAgentServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAgentServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left for inspection; the agents using it have been stopped.
        }
    }

    [Fact]
    public async Task Checks_in_the_buffer_survive_kill_9_and_are_uploaded_after_a_restart_with_no_slot_twice()
    {
        await _server.SetMonitorsAsync(_server.HealthMonitor(7));
        await using var first = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(first, "two checks stored", () => _server.Stored.Count >= 2);

        // The server stops answering: the message in flight and every check after it stay in the buffer.
        _server.HoldAcks();
        await AgentTesting.WaitForAsync(first, "a message left unacknowledged and three checks in the buffer",
            () => _server.Unacked.Count >= 1 && AgentTesting.ReadBuffer(_data).Count >= 3);
        var buffered = AgentTesting.ReadBuffer(_data);
        await first.KillAsync();
        var acked = _server.Stored.Select(c => (c.Monitor, c.Slot)).Except(_server.Unacked.Select(c => (c.Monitor, c.Slot))).ToHashSet();
        var receivedBefore = _server.Received.Count;

        _server.SendAcks();
        await using var second = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(second, "every check of the buffer sent again after the restart",
            () => buffered.All(_server.Received.Skip(receivedBefore).Contains));

        var after = _server.Received.Skip(receivedBefore).ToList();
        Assert.DoesNotContain(after, c => acked.Contains((c.Monitor, c.Slot)));
        Assert.Equal(after.Count, after.Select(c => (c.Monitor, c.Slot)).Distinct().Count());
        Assert.All(_server.Stored, c => Assert.True(AgentTesting.OnGrid(c, 1), $"slot {c.Slot:O} is off the grid"));
        Assert.Empty(_server.Refusals);
    }

    [Fact]
    public async Task Checks_made_while_the_server_is_unreachable_are_uploaded_on_reconnect_on_their_own_slots_even_across_a_restart()
    {
        await _server.SetMonitorsAsync(_server.HealthMonitor(7), _server.HealthMonitor(8, intervalSeconds: 2));
        // Small limits: the backlog goes in several messages, each within them.
        _server.Limits = new(MaxMessageBytes: 2048, MaxChecksPerMessage: 2);
        await using var first = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(first, "a check of each monitor stored",
            () => _server.Stored.Select(c => c.Monitor).Distinct().Count() == 2);

        _server.GoDown();
        var downAt = DateTimeOffset.UtcNow;
        await AgentTesting.WaitForAsync(first, "checks buffered while the server is down",
            () => AgentTesting.ReadBuffer(_data).Count(c => c.Slot > downAt) >= 2);
        await first.KillAsync();

        // Started while the server is down: no welcome, so it probes from the list kept in its buffer.
        var restartAt = DateTimeOffset.UtcNow;
        await using var second = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(second, "both monitors checked after the restart, the server still down",
            () => AgentTesting.ReadBuffer(_data).Where(c => c.At > restartAt).Select(c => c.Monitor).Distinct().Count() == 2);
        var buffered = AgentTesting.ReadBuffer(_data);

        _server.ComeBack();
        await AgentTesting.WaitForAsync(second, "every buffered check stored",
            () => buffered.All(b => _server.Stored.Contains(b)));

        Assert.Contains("Resuming with the 2 monitor(s)", second.Stdout);
        Assert.All(buffered, b => Assert.True(AgentTesting.OnGrid(b, b.Monitor == 7 ? 1 : 2), $"slot {b.Slot:O} of {b.Monitor} is off the grid"));
        Assert.Contains(buffered, b => b.Slot > downAt && b.At < restartAt);
        Assert.Empty(_server.Refusals);
        Assert.All(_server.Messages, m => Assert.True(m is { Checks: > 0 and <= 2, Bytes: <= 2048 }, $"{m.Checks} checks in {m.Bytes} bytes"));
        Assert.Contains(_server.Messages, m => m.Checks == 2);
    }

    [Fact]
    public async Task A_revoked_token_1008_stops_the_agent_with_the_servers_reason_and_a_non_zero_exit()
    {
        await _server.SetMonitorsAsync(_server.HealthMonitor(7));
        await using var agent = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(agent, "the agent welcomed", () => _server.Welcomes >= 1 && _server.OpenSockets == 1);

        await _server.RevokeAsync("the agent token was revoked");
        var exitCode = await agent.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("the agent token was revoked", agent.Stdout + agent.Stderr);
        Assert.Equal(1, _server.Welcomes);
    }

    [Fact]
    public async Task An_agent_naming_another_location_than_its_tokens_is_closed_with_1008_and_stops()
    {
        await using var agent = AgentTesting.Start(_server, _data, location: "us-east");

        var exitCode = await agent.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("the agent names location \"us-east\" but its token is for \"eu-west\"", agent.Stderr);
    }

    [Fact]
    public async Task Every_uploaded_slot_is_on_the_servers_grid_and_a_new_list_stops_removed_monitors_and_reschedules_edited_ones()
    {
        await _server.SetMonitorsAsync(_server.HealthMonitor(7), _server.HealthMonitor(8));
        await using var agent = AgentTesting.Start(_server, _data);
        await AgentTesting.WaitForAsync(agent, "three checks of each monitor",
            () => _server.Stored.GroupBy(c => c.Monitor).Count(g => g.Count() >= 3) == 2);

        // Monitor 7 now every 2 s, monitor 8 gone.
        await _server.SetMonitorsAsync(_server.HealthMonitor(7, intervalSeconds: 2));
        await AgentTesting.WaitForAsync(agent, "the new list applied",
            () => agent.Stdout.Contains("Checking 1 monitor(s) from this location (0 skipped): 0 added, 1 changed, 1 removed"));
        var appliedAt = DateTimeOffset.UtcNow;
        await AgentTesting.WaitForAsync(agent, "two checks of monitor 7 after the change",
            () => _server.Stored.Count(c => c.Monitor == 7 && c.Slot > appliedAt) >= 2);

        var stored = _server.Stored;
        Assert.All(stored.Where(c => c.Slot <= appliedAt), c => Assert.True(AgentTesting.OnGrid(c, 1), $"{c.Monitor} {c.Slot:O}"));
        Assert.All(stored.Where(c => c.Monitor == 7 && c.Slot > appliedAt), c => Assert.True(AgentTesting.OnGrid(c, 2), $"7 {c.Slot:O}"));
        Assert.DoesNotContain(stored, c => c.Monitor == 8 && c.Slot > appliedAt);
        Assert.All(stored, c => Assert.True(c.At >= c.Slot, $"{c.Monitor}: at {c.At:O} before its slot {c.Slot:O}"));
        Assert.All(stored, c => Assert.Equal(c.Slot, DateTimeOffset.FromUnixTimeMilliseconds(c.Slot.ToUnixTimeMilliseconds())));
        Assert.All(stored, c => Assert.Equal(UptimeWatch.Probing.Verdict.Up, c.Verdict));
        Assert.Empty(_server.Refusals);
    }

    [Fact]
    public async Task A_token_the_server_refuses_with_401_is_tried_again_with_backoff_and_never_written_out_in_full()
    {
        const string unknown = "uw_agent_ZYXWVUTSRQPONMLKJIHGFEDCBA987654";
        await using var agent = AgentTesting.Start(_server, _data, token: unknown);

        await AgentTesting.WaitForAsync(agent, "two refused attempts logged",
            () => _server.Unauthorized >= 2 && agent.Stdout.Split("Not connected to").Length > 2);

        Assert.Contains("uw_agent_ZYXW… (401): it is unknown or revoked", agent.Stdout);
        Assert.Contains("Connecting again in", agent.Stdout);
        Assert.DoesNotContain(unknown, agent.Stdout + agent.Stderr);
        Assert.Equal(0, _server.Welcomes);
    }

    [Fact]
    public async Task A_bad_setting_exits_with_code_2_and_one_line_naming_each_key_and_value()
    {
        var exited = await HostProcess.RunAsync(_data,
        [
            "agent", "--UptimeWatch:Agent:Server=ftp://status.example.com", "--UptimeWatch:Agent:Location=eu west",
            $"--UptimeWatch:Agent:Token={FakeAgentServer.Token}", $"--UptimeWatch:DataDirectory={_data}",
        ]);

        Assert.Equal(2, exited.ExitCode);
        Assert.Contains("UptimeWatch agent did not start: the configuration has 2 error(s):", exited.Stderr);
        Assert.Contains("UptimeWatch:Agent:Server \"ftp://status.example.com\" must be", exited.Stderr);
        Assert.Contains("UptimeWatch:Agent:Location \"eu west\" must be", exited.Stderr);
        Assert.DoesNotContain("   at ", exited.Stderr);
        Assert.DoesNotContain(FakeAgentServer.Token, exited.Stdout + exited.Stderr);
    }
}
