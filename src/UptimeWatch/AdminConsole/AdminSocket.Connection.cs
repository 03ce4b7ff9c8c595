using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Threading.Channels;
using UptimeWatch.Hosting;

namespace UptimeWatch.AdminConsole;

/// <summary>The socket's connection: run until it ends, one send loop, one receive loop, and the one way it ends.</summary>
internal sealed partial class AdminSocket
{
    private const int ReceiveChunk = 4096;


    // Replies and pushes wait here for the send loop. Bounded: a peer that stops reading stalls the commands and the
    // push loop, and then the hub cuts the subscription off (1013) instead of memory growing.
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TaskCompletionSource<Ending> _ending = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxCommandsInFlight, MaxCommandsInFlight);

    /// <summary>Runs the socket until it ends; returns the close code sent, or null when the peer was simply gone.</summary>
    public async Task<WebSocketCloseStatus?> RunAsync(CancellationToken ended, CancellationToken aborted, CancellationToken stopping)
    {
        using var onStopping = stopping.Register(() => End(WebSocketCloseStatus.EndpointUnavailable,
            "The server is shutting down: reconnect and subscribe with after"));
        using var onEnded = ended.Register(() =>
        {
            if (aborted.IsCancellationRequested)
            {
                End(null, "");
            }
            else
            {
                End(WebSocketCloseStatus.PolicyViolation, "The session ended or the API token was revoked: sign in again");
            }
        });

        var sending = SendLoopAsync(aborted);
        var receiving = ReceiveLoopAsync(aborted);
        var ending = await _ending.Task;

        // Nothing new starts from here: commands and pushes see the token, the send loop stops taking messages.
        await _stop.CancelAsync();
        await sending;
        if (ending.Status is { } status)
        {
            try
            {
                using var timeout = new CancellationTokenSource(WebSocketPeer.CloseHandshakeTimeout);
                await WebSocketPeer.SendCloseAsync(socket, status, ending.Description, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The peer did not take our close frame in time.
            }
        }
        // The receive loop ends when the peer's close frame arrives (or once a peer that sends none is dropped).
        await WebSocketPeer.AwaitCloseAsync(socket, receiving);
        await receiving;

        // Every command has finished once all the slots are free again.
        for (var i = 0; i < MaxCommandsInFlight; i++)
        {
            await _slots.WaitAsync(CancellationToken.None);
        }
        if (_pusher is { } pusher)
        {
            await pusher.DisposeAsync();
        }
        _stop.Dispose();
        return ending.Status;
    }

    /// <summary>Ends the socket with <paramref name="status"/> (null: drop it, the peer is gone). The first reason wins.</summary>
    private void End(WebSocketCloseStatus? status, string description) => _ending.TrySetResult(new Ending(status, description));

    private sealed record Ending(WebSocketCloseStatus? Status, string Description);

    private static bool IsPeerGone(Exception ex) => WebSocketPeer.IsGone(ex) || ex is OperationCanceledException;

    /// <summary>How the send or receive loop ends the socket after <paramref name="ex"/>.</summary>
    private void EndAfter(Exception ex)
    {
        if (IsPeerGone(ex))
        {
            // The peer left, stopped answering pings, broke the protocol, or we dropped it after closing.
            End(null, "");
            return;
        }
        LogUnexpected(logger, ex, by);
        End(WebSocketCloseStatus.InternalServerError, "Unexpected server error");
    }

    private async Task SendLoopAsync(CancellationToken aborted)
    {
        try
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (reader.TryRead(out var message))
                {
                    // Not _stop: cancelling a send aborts the whole WebSocket, and the close frame still has to go out.
                    await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, aborted);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Ending: whatever is still queued is dropped.
        }
        catch (Exception ex)
        {
            EndAfter(ex);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken aborted)
    {
        var buffer = new ArrayBufferWriter<byte>(ReceiveChunk);
        try
        {
            while (true)
            {
                var received = await WebSocketPeer.ReceiveAsync(socket, buffer, ReceiveChunk, maxMessageBytes, aborted);
                if (received.Type == WebSocketMessageType.Close)
                {
                    End(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                if (_ending.Task.IsCompleted)
                {
                    // Closing: the rest is read only to reach the peer's close frame.
                    continue;
                }
                if (received.Type == WebSocketMessageType.Binary)
                {
                    End(WebSocketCloseStatus.InvalidMessageType, "Binary frames are not accepted: send JSON as text");
                    continue;
                }
                if (received.TooBig)
                {
                    End(WebSocketCloseStatus.MessageTooBig,
                        $"A message may be at most {maxMessageBytes.ToString(CultureInfo.InvariantCulture)} bytes");
                    continue;
                }
                var message = buffer.WrittenSpan.ToArray();
                try
                {
                    await HandleMessageAsync(message);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // Ended while waiting for a slot or room to reply: keep reading until the peer's close frame.
                }
            }
        }
        catch (Exception ex)
        {
            EndAfter(ex);
        }
    }


    private ValueTask EnqueueAsync(byte[] message, CancellationToken cancellationToken = default) =>
        _outgoing.Writer.WriteAsync(message, cancellationToken.CanBeCanceled ? cancellationToken : _stop.Token);

    private async Task TryEnqueueAsync(byte[] message)
    {
        try
        {
            await EnqueueAsync(message);
        }
        catch (OperationCanceledException)
        {
            // Ending.
        }
    }
}
