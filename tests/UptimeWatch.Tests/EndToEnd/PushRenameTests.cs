namespace UptimeWatch.Tests.EndToEnd;

public sealed class PushRenameTests
{
    [Fact]
    public async Task A_renamed_push_monitor_keeps_its_configured_url_and_the_old_name_is_archived()
    {
        var data = TestPaths.NewTempDirectory();
        await using (var first = new UptimeWatchApp(data, [PushTesting.Monitor(name: "Backups", intervalSeconds: 60)]))
        {
            Assert.Equal("backups", (await PushTesting.HeartbeatAsync(first)).Monitor);
        }

        await using var second = new UptimeWatchApp(data, [PushTesting.Monitor(name: "Nightly backups", intervalSeconds: 60)]);

        Assert.Equal("nightly-backups", (await PushTesting.HeartbeatAsync(second)).Monitor);
        Assert.Equal(["nightly-backups"], (await second.StatusAsync()).Monitors.Select(m => m.Slug));
    }
}
