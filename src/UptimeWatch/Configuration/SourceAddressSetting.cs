using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Configuration;

/// <summary><c>Probing:SourceAddress</c> as read: an address this machine can send from (the probes bind to it).</summary>
internal static class SourceAddressSetting
{
    /// <summary>Why <paramref name="text"/> cannot be a source address, or null when it can (an address of this machine).</summary>
    public static string? Problem(string text, out IPAddress? address)
    {
        if (!IPAddress.TryParse(text, out address) || text.Contains('%', StringComparison.Ordinal))
        {
            address = null;
            return $"Probing:SourceAddress \"{text}\" must be an IP address of this machine (for example 192.0.2.10 or 2001:db8::10)";
        }
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, 0));
            return null;
        }
        catch (SocketException ex)
        {
            var parsed = address;
            address = null;
            return $"Probing:SourceAddress {parsed} is not an address this machine can send from: {ex.Message}";
        }
    }

}
