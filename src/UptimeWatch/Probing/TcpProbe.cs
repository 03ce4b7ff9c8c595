using System.Globalization;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// TCP check: up when a connection to <c>tcp://host:port</c> opens within the monitor's deadline (DNS lookup
/// included). Nothing is sent; the connection is closed at once.
/// </summary>
internal sealed class TcpProbe(TimeProvider time) : IProbe
{
    public MonitorType Type => MonitorType.Tcp;

    public async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        using var deadline = new ProbeDeadline(monitor.TimeoutSeconds, time, cancellationToken);
        int Elapsed() => deadline.ElapsedMs;

        var url = monitor.Url!;
        var host = TcpConnector.HostOf(url);
        var phase = new TcpPhase();
        try
        {
            var connection = await TcpConnector.ConnectAsync(host, url.Port, time, phase, deadline.Token);
            connection.Socket.Dispose();
            return ProbeResult.Ok(Elapsed()) with { Timings = new ProbeTimings(connection.DnsMs, connection.ConnectMs, null, null) };
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return ProbeResult.Failed(FailureKind.Timeout, Elapsed(), TimeoutMessage(phase, host, monitor.TimeoutSeconds));
        }
        catch (TcpConnectException ex)
        {
            return ProbeResult.Failed(ex.Kind, Elapsed(), ex.Message);
        }
    }

    /// <summary>What the deadline interrupted, shared with the TLS probe.</summary>
    public static string TimeoutMessage(TcpPhase phase, string host, int seconds)
    {
        var within = seconds.ToString(CultureInfo.InvariantCulture) + " s";
        return phase.Current switch
        {
            TcpPhase.Step.Dns => $"no DNS answer for {host} within {within}",
            TcpPhase.Step.Connect => $"no connection within {within}",
            _ => $"connected, but no TLS handshake within {within}",
        };
    }
}
