using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Testing;

/// <summary>
/// A port on 127.0.0.1 that refuses connections for as long as this is held: bound, so no other process can listen on
/// it, but not listening, so a connection to it is refused. A port bound and released at once is no such guarantee:
/// any process on the machine may take it before the test uses it.
/// </summary>
internal sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket;

    private ClosedPort(Socket socket)
    {
        _socket = socket;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>A port the OS picks.</summary>
    public static ClosedPort Take() => Hold(0);

    /// <summary>
    /// This port, e.g. the one a stopped server listened on, so that nothing can take it over. Fails if something
    /// listens there. Address reuse lets it bind beside the closed server's connections still in TIME_WAIT.
    /// </summary>
    public static ClosedPort Hold(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return new ClosedPort(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Uri Url(string pathAndQuery = "/") => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    public void Dispose() => _socket.Dispose();
}
