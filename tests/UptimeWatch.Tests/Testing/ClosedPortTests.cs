using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Tests.Testing;

/// <summary>
/// The "connection refused" target the probe and delivery tests use: it must refuse, and no server started by another
/// test may take its port while a test relies on it.
/// </summary>
public sealed class ClosedPortTests
{
    [Fact]
    public async Task A_closed_port_refuses_connections()
    {
        using var closed = ClosedPort.Take();
        using var client = new TcpClient(AddressFamily.InterNetwork);

        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, closed.Port));

        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_server_can_listen_on_a_closed_port_while_it_is_held(bool serverReusesAddress)
    {
        using var closed = ClosedPort.Take();
        // Servers such as Kestrel and nginx set SO_REUSEADDR on their listening sockets; plain ones do not.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, serverReusesAddress);

        var taken = Assert.Throws<SocketException>(() =>
        {
            server.Bind(new IPEndPoint(IPAddress.Loopback, closed.Port));
            server.Listen();
        });

        Assert.Equal(SocketError.AddressAlreadyInUse, taken.SocketErrorCode);
    }

    [Fact]
    public void Its_port_is_free_again_once_it_is_disposed()
    {
        var closed = ClosedPort.Take();
        closed.Dispose();
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        server.Bind(new IPEndPoint(IPAddress.Loopback, closed.Port));
        server.Listen();

        Assert.Equal(closed.Port, ((IPEndPoint)server.LocalEndPoint!).Port);
    }
}
