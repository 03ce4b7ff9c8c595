using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// Ready when something accepts a TCP connection on 127.0.0.1:<c>port</c>. With host networking there are no
/// mapped ports, so Testcontainers' own port wait strategies cannot be used.
/// </summary>
internal sealed class TcpPortIsOpen(int port) : IWaitUntil
{
    public async Task<bool> UntilAsync(IContainer container)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
