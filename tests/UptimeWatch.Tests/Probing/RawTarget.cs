using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// A misbehaving server on 127.0.0.1, written at the socket level: each accepted connection is handed to a
/// behaviour. Bounded so a broken test cannot leave it running: at most <c>maxConnections</c> accepted, every
/// behaviour cancelled after <c>lifetime</c> (default 30 s) or on dispose.
/// </summary>
internal sealed class RawTarget : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private long _bytesSent;

    private RawTarget(Func<RawConnection, CancellationToken, Task> behaviour, int maxConnections, TimeSpan lifetime)
    {
        _stop = new CancellationTokenSource(lifetime);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync(behaviour, maxConnections);
    }

    public int Port { get; }

    /// <summary>Bytes the behaviours managed to hand to the kernel: what the client read plus what sat in buffers.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public Uri Url(string path = "/", string scheme = "http") => new($"{scheme}://127.0.0.1:{Port}{path}");

    public static RawTarget Start(Func<RawConnection, CancellationToken, Task> behaviour, int maxConnections = 4, TimeSpan? lifetime = null) =>
        new(behaviour, maxConnections, lifetime ?? TimeSpan.FromSeconds(30));

    /// <summary>Waits (bounded) until every accepted connection's behaviour has finished.</summary>
    public async Task WhenConnectionsDoneAsync(TimeSpan timeout)
    {
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }
        await Task.WhenAll(running).WaitAsync(timeout);
    }

    private async Task AcceptAsync(Func<RawConnection, CancellationToken, Task> behaviour, int maxConnections)
    {
        try
        {
            for (var i = 0; i < maxConnections; i++)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var connection = new RawConnection(socket, this);
                lock (_connections)
                {
                    _connections.Add(Task.Run(() => RunAsync(connection, behaviour)));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(RawConnection connection, Func<RawConnection, CancellationToken, Task> behaviour)
    {
        try
        {
            await behaviour(connection, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client gave up or the test ended: exactly what these behaviours provoke.
        }
        finally
        {
            connection.Socket.Dispose();
        }
    }

    internal void CountSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
            await WhenConnectionsDoneAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }
}

/// <summary>One accepted connection, with the few moves the misbehaving targets need.</summary>
internal sealed class RawConnection(Socket socket, RawTarget target)
{
    public Socket Socket => socket;

    /// <summary>Reads the request head (up to the blank line, at most 64 KiB); the probe sends no body here.</summary>
    public async Task<string> ReadRequestHeadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }
        return Encoding.ASCII.GetString(buffer, 0, length);
    }

    public Task SendAsync(string text, CancellationToken cancellationToken) => SendAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            target.CountSent(sent);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Waits until the client closes (or the target stops), without answering.</summary>
    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
        {
        }
    }

    /// <summary>Aborts with a TCP reset instead of an orderly close.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
