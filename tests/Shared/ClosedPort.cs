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

    public static ClosedPort Open()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            // .NET sets SO_REUSEADDR on every TCP bind on Linux, and a server that sets it too (Kestrel, nginx) could
            // then bind this port and listen on it while nothing listens here. Off, the kernel refuses that listen.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            return new ClosedPort(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket.Dispose();
}
