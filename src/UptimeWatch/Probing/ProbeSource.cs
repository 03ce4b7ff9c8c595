using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Probing;

/// <summary>
/// The local address probe connections go out from (<c>Probing:SourceAddress</c>), for a host with several networks
/// (each probe location can take its own path to a target); none by default, and the system picks as usual. It binds
/// the HTTP, TCP and TLS probes' connections. DNS queries (the DNS monitor's, and the lookups before a connection) go
/// out as the resolver sends them.
/// </summary>
internal sealed class ProbeSource(IPAddress? address)
{
    public static readonly ProbeSource Any = new(null);

    public IPAddress? Address { get; } = address;

    /// <summary>
    /// The addresses of a target this source can connect to: all of them without a source address, otherwise those of
    /// its family (an IPv4 source cannot reach an IPv6 address). None left is a failure that says why.
    /// </summary>
    public IPAddress[] Reachable(string host, IPAddress[] addresses)
    {
        if (Address is not { } source)
        {
            return addresses;
        }
        var reachable = addresses.Where(a => a.AddressFamily == source.AddressFamily).ToArray();
        return reachable.Length > 0
            ? reachable
            : throw new ProbeSourceException($"{host} has no {Family(source)} address, and probes go out from {source} (Probing:SourceAddress)");
    }

    /// <summary>A TCP socket for <paramref name="family"/>, bound to the source address when there is one.</summary>
    public Socket NewSocket(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (Address is { } source)
        {
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new ProbeSourceException($"probes go out from {source} (Probing:SourceAddress), which this machine cannot send from: {ex.Message}");
            }
        }
        return socket;
    }

    private static string Family(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}

/// <summary>A connection the source address rules out, with the words to show.</summary>
internal sealed class ProbeSourceException(string message) : IOException(message);
