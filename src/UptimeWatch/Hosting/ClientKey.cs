using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Hosting;

/// <summary>
/// The key that per-client limits (sign-in attempts, live connections) count under. An IPv4 client is its address;
/// an IPv6 client is its /64, because one host is usually given a whole /64 and can rotate through it at will
/// (privacy addresses), so counting single IPv6 addresses would let it multiply every limit.
/// </summary>
internal static class ClientKey
{
    public static string For(HttpContext http) => For(http.Connection.RemoteIpAddress);

    /// <summary>The client's own address as logs show it (not its key: an IPv6 client is logged by its full address).</summary>
    public static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public static string For(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d: the same client as on an IPv4 socket.
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        // A new address also drops the scope id (fe80::1%eth0): the interface is not part of who the client is.
        return $"{new IPAddress(bytes)}/64";
    }
}
