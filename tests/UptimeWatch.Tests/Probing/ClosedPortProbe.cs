using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>What every socket probe (TCP, TLS) says about a port nothing listens on.</summary>
internal static class ClosedPortProbe
{
    /// <param name="monitor">The probe's monitor for a port on 127.0.0.1.</param>
    public static async Task AssertRefusedAsync(ProbeRunner probe, Func<int, MonitorDefinition> monitor)
    {
        using var closed = ClosedPort.Take();
        var port = closed.Port;

        var result = await probe.CheckAsync(monitor(port), CancellationToken.None);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.ConnectionRefused, result.Failure);
        Assert.Equal($"connection refused by 127.0.0.1:{port} (nothing is listening)", result.Error);
    }
}
