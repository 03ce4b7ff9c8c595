using System.Net;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>
/// <c>Probing:SourceAddress</c> through the whole app: two instances on one machine, each going out from its own
/// loopback address, see one target from two networks. The way the probe-location tests give each location its view.
/// </summary>
public sealed class SourceAddressTests
{
    [Fact]
    public async Task A_target_that_refuses_one_source_address_is_down_from_there_and_up_from_elsewhere()
    {
        await using var target = await TargetServer.StartAsync();
        target.RefuseFrom(IPAddress.Parse("127.0.0.2"));
        var monitor = UptimeWatchApp.Monitor("Shop", target.Url("/health"), failureThreshold: 1);
        await using var refused = new UptimeWatchApp(TestPaths.NewTempDirectory(), [monitor],
            new() { ["UptimeWatch:Probing:SourceAddress"] = "127.0.0.2" });
        await using var served = new UptimeWatchApp(TestPaths.NewTempDirectory(), [monitor],
            new() { ["UptimeWatch:Probing:SourceAddress"] = "127.0.0.3" });

        await refused.WaitForStatusAsync("shop", "down");
        await served.WaitForStatusAsync("shop", "up");
        var check = (await refused.StoredChecksAsync("shop"))[0];

        Assert.Equal("down", check.Outcome);
        Assert.Equal("connection_failed", check.Category);
        Assert.Equal($"connection to 127.0.0.1:{target.BaseUrl.Port} was reset", check.Error);
    }
}
