namespace UptimeWatch.Tests.EndToEnd;

/// <summary>A monitor's <c>Locations</c> decide whether this server probes it itself.</summary>
public sealed class MonitorLocationsTests
{
    [Fact]
    public async Task The_server_checks_a_monitor_that_names_its_location_and_leaves_one_for_agents_alone_unchecked()
    {
        await using var target = await TargetServer.StartAsync();
        var here = UptimeWatchApp.Monitor("Here", target.Url("/counted/here"));
        here["Locations"] = "HQ,eu-west";
        var agentsOnly = UptimeWatchApp.Monitor("Agents only", target.Url("/counted/agents-only"));
        agentsOnly["Locations"] = "eu-west,us-east";
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [here, agentsOnly],
            new() { ["UptimeWatch:Location"] = "hq" });

        _ = app.Services; // starts it
        // Both have a 1 s interval: by the time one has been checked three times, the other would have been too.
        await Eventually.Until(() => Task.FromResult(target.Served("here")), n => n >= 3, TimeSpan.FromSeconds(30), "three checks of Here");

        Assert.Equal(0, target.Served("agents-only"));
        Assert.Empty(await app.StoredChecksAsync("agents-only"));
        Assert.NotEmpty(await app.StoredChecksAsync("here"));
    }
}
