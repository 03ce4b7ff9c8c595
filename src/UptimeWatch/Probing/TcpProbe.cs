using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// TCP check: up when a connection to <c>tcp://host:port</c> opens within the monitor's deadline (DNS lookup
/// included). Nothing is sent; the connection is closed at once.
/// </summary>
internal sealed class TcpProbe(TimeProvider time, ProbeSource source) : IProbe
{
    public MonitorType Type => MonitorType.Tcp;

    public ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken) =>
        TcpConnector.CheckAsync(monitor, time, source, cancellationToken, static check =>
        {
            check.Connection.Socket.Dispose();
            return ValueTask.FromResult(ProbeResult.Ok(check.Deadline.ElapsedMs) with
            {
                Timings = new ProbeTimings(check.Connection.DnsMs, check.Connection.ConnectMs, null, null),
            });
        });
}
