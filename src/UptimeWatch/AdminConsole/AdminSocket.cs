using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;
using UptimeWatch.Journal;
using UptimeWatch.Live;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// One open admin WebSocket (docs/admin-protocol.md): one receive loop, one send loop that every reply and push goes
/// through (a WebSocket allows one send at a time), commands run concurrently up to <see cref="MaxCommandsInFlight"/>,
/// and, after <c>subscribe</c>, a push loop forwarding the event hub. Whatever ends it — the peer, a bad frame, the
/// credentials, the server — ends it once, with the close code the protocol gives that reason.
/// This file: the subscription (replay, then live pushes). The connection, the commands and the frames have a file each.
/// </summary>
internal sealed partial class AdminSocket(
    WebSocket socket,
    AdminCommands commands,
    JournalReader log,
    EventHub hub,
    int queueSize,
    int maxMessageBytes,
    string by,
    JsonSerializerOptions json,
    ILogger logger)
{
    public const int MaxCommandsInFlight = 8;
    public const int MaxIdLength = 100;

    /// <summary>
    /// The replay is held in memory until the <c>ok</c> (which carries the newest seq) has gone out; a client this far
    /// behind gets a <c>reset</c> instead: reloading is quicker for it than replaying, and the server's memory stays bounded.
    /// </summary>
    public const int MaxReplay = 10_000;

    /// <summary>1013 "try again later": the socket fell behind the pushes. Not in <see cref="WebSocketCloseStatus"/>.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private Pusher? _pusher;

    /// <summary>
    /// Subscribes to the hub first, then reads the log: whatever commits meanwhile is queued in the subscription and
    /// dropped below by seq if the replay already had it, so the hand-over has neither a gap nor a repeat.
    /// The <c>ok</c> goes out before the first push.
    /// </summary>
    private async Task SubscribeAsync(string? id, long? after)
    {
        await _subscribeGate.WaitAsync(_stop.Token);
        try
        {
            // A second subscribe starts over from its own cursor.
            await StopPushingAsync();
            var subscription = hub.Subscribe(queueSize);
            try
            {
                string? reset = null;
                List<LiveEvent> replay = [];
                long? replayedUpTo = null;
                if (after is { } cursor)
                {
                    reset = await log.ResetReasonAsync(LiveFeed.Everything, cursor, MaxReplay, _stop.Token);
                    if (reset is null)
                    {
                        replayedUpTo = cursor;
                        await foreach (var page in log.ReplayAsync(LiveFeed.Everything, cursor, MaxReplay, _stop.Token))
                        {
                            replay.AddRange(page.Events);
                            replayedUpTo = page.UpTo;
                        }
                    }
                }
                // The hub only knows what it published since start-up; the log knows what came before a restart.
                var newest = Math.Max(Math.Max(hub.LastId, replayedUpTo ?? 0), await log.NewestIdAsync(_stop.Token));
                await EnqueueAsync(Reply(id, new { seq = newest }));
                _pusher = Pusher.Start(this, subscription, reset, replay, replayedUpTo);
                subscription = null;
            }
            finally
            {
                subscription?.Dispose();
            }
        }
        finally
        {
            _subscribeGate.Release();
        }
    }


    private async Task<object> UnsubscribeAsync()
    {
        await _subscribeGate.WaitAsync(_stop.Token);
        try
        {
            await StopPushingAsync();
            return new { };
        }
        finally
        {
            _subscribeGate.Release();
        }
    }

    private async Task StopPushingAsync()
    {
        if (_pusher is { } pusher)
        {
            _pusher = null;
            await pusher.DisposeAsync();
        }
    }

    /// <summary>One subscription's push loop: the reset or the replay, then the live events.</summary>
    private sealed class Pusher : IAsyncDisposable
    {
        private readonly EventHub.Subscription _subscription;
        private readonly CancellationTokenSource _stop;
        private Task _loop = Task.CompletedTask;

        private Pusher(EventHub.Subscription subscription, CancellationTokenSource stop)
        {
            _subscription = subscription;
            _stop = stop;
        }

        public static Pusher Start(AdminSocket socket, EventHub.Subscription subscription, string? reset, List<LiveEvent> replay, long? replayedUpTo)
        {
            var pusher = new Pusher(subscription, CancellationTokenSource.CreateLinkedTokenSource(socket._stop.Token));
            pusher._loop = Task.Run(() => socket.PushAsync(subscription, reset, replay, replayedUpTo, pusher._stop.Token));
            return pusher;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _subscription.Dispose();
            _stop.Dispose();
        }
    }

    /// <param name="replayedUpTo">The highest seq replayed (or the cursor): live events up to it were in the replay.</param>
    private async Task PushAsync(EventHub.Subscription subscription, string? reset, List<LiveEvent> replay, long? replayedUpTo,
        CancellationToken cancellationToken)
    {
        try
        {
            if (reset is not null)
            {
                await EnqueueAsync(Push("reset", null, JsonSerializer.SerializeToUtf8Bytes(new ResetDto(reset), json)), cancellationToken);
            }
            foreach (var e in replay)
            {
                await EnqueueAsync(Push(e.Kind, e.Id, e.Json.Span), cancellationToken);
            }
            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var e))
                {
                    // Events without a seq are live only and always pass. Only the replay's seqs are dropped: live, one
                    // seq can carry several events (a status change and the alert it raised), and the hub never repeats.
                    if (e.Id is { } seq && seq <= replayedUpTo)
                    {
                        continue;
                    }
                    await EnqueueAsync(Push(e.Kind, e.Id, e.Json.Span), cancellationToken);
                }
            }
        }
        catch (SlowConsumerException)
        {
            LogSlow(logger, by);
            End(TryAgainLater, "The socket fell behind the live pushes: reconnect and subscribe with after");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed, or the socket is ending.
        }
        catch (Exception ex)
        {
            LogUnexpected(logger, ex, by);
            End(WebSocketCloseStatus.InternalServerError, "Unexpected server error");
        }
    }

    [LoggerMessage(LogLevel.Error, "The admin WebSocket of {By} failed unexpectedly; closing it with 1011")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string by);

    [LoggerMessage(LogLevel.Information, "Closed the admin WebSocket of {By} with 1013: it did not keep up with the live pushes")]
    private static partial void LogSlow(ILogger logger, string by);
}