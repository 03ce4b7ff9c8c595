using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Testing;

/// <summary>
/// A port on 127.0.0.1 that refuses connections for as long as this object lives: bound, so no other process can
/// take it, and never listening, so the kernel answers every connection attempt with a reset ("connection refused").
/// A port that was only found free and released (bind, close) could be taken by anyone before the test used it.
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
    public static ClosedPort Take() => Bind(0, reuseWhileBinding: false);

    /// <summary>
    /// This port, e.g. the one a stopped server listened on, so that nothing can take it over. Fails if something
    /// listens there.
    /// </summary>
    /// <remarks>
    /// Address reuse is on while binding, so it binds beside a closed server's connections still in TIME_WAIT; the
    /// kernel keeps that port shareable for a server that reuses addresses too, so this holds it against plain
    /// servers only. <see cref="Take"/> holds against both.
    /// </remarks>
    public static ClosedPort Hold(int port) => Bind(port, reuseWhileBinding: true);

    private static ClosedPort Bind(int port, bool reuseWhileBinding)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (reuseWhileBinding)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            // Left on, a server that sets it too (Kestrel, nginx; .NET sets it on every TCP bind on Linux) could bind
            // this port and listen on it while nothing listens here. Off, the kernel refuses that bind.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
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
