using System.Buffers;
using System.Net.WebSockets;

namespace UptimeWatch.Hosting;

/// <summary>
/// What the server's WebSockets (the admin console's, the agents') do alike with the peer: read one message under a size
/// cap, send the close frame, wait for the peer's, and tell a peer that has gone from a real failure.
/// </summary>
internal static class WebSocketPeer
{
    /// <summary>How long the peer has to answer our close frame before the connection is dropped.</summary>
    public static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The peer left, stopped answering pings, broke the framing, or we dropped it: nothing to report.</summary>
    public static bool IsGone(Exception ex) => ex is WebSocketException or IOException or ObjectDisposedException;

    /// <summary>
    /// Reads the next message into <paramref name="buffer"/> (emptied first), <paramref name="chunk"/> bytes at a time.
    /// It stops early at the peer's close frame (<see cref="WebSocketMessageType.Close"/>) or as soon as the message has
    /// passed <paramref name="maxBytes"/> (<see cref="Received.TooBig"/>, answered with 1009): a peer cannot make the
    /// server hold more than that.
    /// </summary>
    public static async Task<Received> ReceiveAsync(WebSocket socket, ArrayBufferWriter<byte> buffer, int chunk, int maxBytes,
        CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        ValueWebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer.GetMemory(chunk), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return new Received(WebSocketMessageType.Close, TooBig: false);
            }
            buffer.Advance(received.Count);
            if (buffer.WrittenCount > maxBytes)
            {
                return new Received(received.MessageType, TooBig: true);
            }
        }
        while (!received.EndOfMessage);
        return new Received(received.MessageType, TooBig: false);
    }

    /// <summary>A message read by <see cref="ReceiveAsync"/>: its type, and whether it was cut off at the cap.</summary>
    public readonly record struct Received(WebSocketMessageType Type, bool TooBig);

    /// <summary>Sends our close frame if the socket may still send one; a peer that has gone meanwhile is not an error.</summary>
    public static async Task SendCloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        try
        {
            await socket.CloseOutputAsync(status, reason, cancellationToken);
        }
        catch (Exception ex) when (IsGone(ex))
        {
        }
    }

    /// <summary>
    /// Waits for <paramref name="receiving"/>, the receive loop, to end with the peer's close frame; a peer that does not
    /// send one within <see cref="CloseHandshakeTimeout"/> is dropped.
    /// </summary>
    public static async Task AwaitCloseAsync(WebSocket socket, Task receiving)
    {
        try
        {
            await receiving.WaitAsync(CloseHandshakeTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            socket.Abort();
        }
        catch (Exception ex) when (IsGone(ex))
        {
        }
    }
}
