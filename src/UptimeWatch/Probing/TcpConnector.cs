using System.Globalization;
using System.Net;
using System.Net.Sockets;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// Opens one TCP connection to <c>host:port</c> for the TCP and TLS probes, timing the DNS lookup (only when the
/// host is a name) and the connect apart. Every address the name resolves to is tried in turn, as a browser would.
/// </summary>
internal static class TcpConnector
{
    /// <summary>
    /// The frame of the TCP and TLS checks: connects to the monitor's host and port within its deadline and hands the
    /// open connection to <paramref name="check"/>. A deadline that strikes (while connecting or in the check) and a
    /// connection that cannot be made become a failed result that says which step it was.
    /// </summary>
    public static async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, TimeProvider time, ProbeSource source,
        CancellationToken cancellationToken, Func<TcpCheck, ValueTask<ProbeResult>> check)
    {
        using var deadline = new ProbeDeadline(monitor.TimeoutSeconds, time, cancellationToken);
        var url = monitor.Url!;
        var host = HostOf(url);
        var phase = new TcpPhase();
        try
        {
            var connection = await ConnectAsync(host, url.Port, time, source, phase, deadline.Token);
            return await check(new TcpCheck(host, url.Port, connection, phase, deadline));
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return ProbeResult.Failed(FailureKind.Timeout, deadline.ElapsedMs, TimeoutMessage(phase, host, monitor.TimeoutSeconds));
        }
        catch (TcpConnectException ex)
        {
            return ProbeResult.Failed(ex.Kind, deadline.ElapsedMs, ex.Message);
        }
        catch (ProbeSourceException ex)
        {
            return ProbeResult.Failed(FailureKind.ConnectionFailed, deadline.ElapsedMs, ex.Message);
        }
    }

    /// <summary>Connects, or throws <see cref="TcpConnectException"/> saying why not in words.</summary>
    /// <remarks>Cancellation (the probe's deadline) surfaces as <see cref="OperationCanceledException"/>;
    /// <paramref name="phase"/> then tells which step was still running.</remarks>
    public static async Task<TcpConnection> ConnectAsync(string host, int port, TimeProvider time, ProbeSource source, TcpPhase phase,
        CancellationToken cancellationToken)
    {
        var endpoint = Endpoint(host, port);
        int? dnsMs = null;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            phase.Current = TcpPhase.Step.Dns;
            var lookupStarted = time.GetTimestamp();
            try
            {
                // WaitAsync: name resolution is not always cancellable underneath, and the deadline must hold.
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).WaitAsync(cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new TcpConnectException(FailureKind.DnsFailure, $"DNS lookup for {host} failed: {ex.Message}");
            }
            dnsMs = Ms(time, lookupStarted);
            if (addresses.Length == 0)
            {
                throw new TcpConnectException(FailureKind.DnsFailure, $"DNS lookup for {host} failed: it has no addresses");
            }
        }

        phase.Current = TcpPhase.Step.Connect;
        var connectStarted = time.GetTimestamp();
        SocketException? last = null;
        foreach (var address in source.Reachable(host, addresses))
        {
            var socket = source.NewSocket(address.AddressFamily);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return new TcpConnection(socket, dnsMs, Ms(time, connectStarted));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw Classify(last!, endpoint);
    }

    /// <summary>The host of a target URL as DNS and sockets want it: punycode for names, no brackets for IPv6.</summary>
    public static string HostOf(Uri url) => url.HostNameType == UriHostNameType.IPv6 ? url.DnsSafeHost : url.IdnHost;

    /// <summary><c>host:port</c> as people write it (IPv6 in brackets).</summary>
    public static string Endpoint(string host, int port) =>
        (IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host)
        + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static TcpConnectException Classify(SocketException ex, string endpoint) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new(FailureKind.ConnectionRefused, $"connection refused by {endpoint} (nothing is listening)"),
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => new(FailureKind.ConnectionFailed, $"{endpoint} is unreachable: {ex.Message}"),
        SocketError.ConnectionReset => new(FailureKind.ConnectionFailed, $"connection to {endpoint} was reset"),
        SocketError.TimedOut => new(FailureKind.ConnectionFailed, $"{endpoint} did not answer the connection attempt: {ex.Message}"),
        _ => new(FailureKind.ConnectionFailed, $"could not connect to {endpoint}: {ex.Message}"),
    };

    /// <summary>What the deadline interrupted.</summary>
    private static string TimeoutMessage(TcpPhase phase, string host, int seconds)
    {
        var within = seconds.ToString(CultureInfo.InvariantCulture) + " s";
        return phase.Current switch
        {
            TcpPhase.Step.Dns => $"no DNS answer for {host} within {within}",
            TcpPhase.Step.Connect => $"no connection within {within}",
            _ => $"connected, but no TLS handshake within {within}",
        };
    }

    private static int Ms(TimeProvider time, long started) => (int)Math.Round(time.GetElapsedTime(started).TotalMilliseconds);
}

/// <summary>An open connection and what it took to get it; the caller owns (and disposes) the socket.</summary>
internal sealed record TcpConnection(Socket Socket, int? DnsMs, int ConnectMs);

/// <summary>
/// What a check inside <see cref="TcpConnector.CheckAsync"/> gets: the host and port, the open connection (the check
/// owns its socket), the step being run (for a timeout's message) and the monitor's deadline.
/// </summary>
internal sealed record TcpCheck(string Host, int Port, TcpConnection Connection, TcpPhase Phase, ProbeDeadline Deadline);

/// <summary>A connection that could not be made, with the message to show and the kind to group on.</summary>
internal sealed class TcpConnectException(FailureKind kind, string message) : Exception(message)
{
    public FailureKind Kind { get; } = kind;
}

/// <summary>Which step a connection attempt is in, so a deadline that strikes can be reported precisely.</summary>
internal sealed class TcpPhase
{
    public enum Step
    {
        Dns,
        Connect,
        Tls,
    }

    public Step Current { get; set; } = Step.Connect;
}
