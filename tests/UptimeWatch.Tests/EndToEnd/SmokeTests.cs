namespace UptimeWatch.Tests.EndToEnd;

public sealed class SmokeTests
{
    [Fact]
    public async Task A_healthy_target_is_reported_up_through_the_api()
    {
        await using var target = await TargetServer.StartAsync();
        var data = TestPaths.NewTempDirectory();
        await using var app = new UptimeWatchApp(data, [UptimeWatchApp.Monitor("Target", target.Url("/ok"))]);

        var status = await app.WaitForStatusAsync("target", "up");

        Assert.Equal("up", status.Overall);
    }
}
