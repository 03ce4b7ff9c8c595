using System.Collections.Concurrent;
using System.Threading.Channels;

namespace UptimeWatch.Live;

/// <summary>
/// One event, serialised once for every client: the SSE frame is built when the event is published, and each
/// transport writes the same bytes (or the same JSON) to each of its clients.
/// </summary>
/// <param name="Id">The event-log id for status events (the cursor); null for live-only events (check results).</param>
/// <param name="Kind"><c>status</c> or <c>check</c>; for the admin socket also <c>alert.raised</c>, <c>alert.acknowledged</c>,
/// <c>alert.resolved</c>, <c>monitors.changed</c> and <c>config.rejected</c> (never public).</param>
/// <param name="Public">Whether public transports may send it (the monitor is public).</param>
/// <param name="Json">The <c>data</c> payload.</param>
/// <param name="Frame">The complete SSE frame (<c>id:</c>, <c>event:</c>, <c>data:</c>, blank line).</param>
internal sealed record LiveEvent(long? Id, string Kind, bool Public, ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Frame);

/// <summary>
/// In-process fan-out of committed events. Each subscriber has a bounded queue; a subscriber that falls behind is
/// cut off (its queue completes with <see cref="SlowConsumerException"/>) rather than slowing the publisher or
/// growing without bound — it reconnects and resumes by id. Publishing never blocks and never waits for a client.
/// </summary>
internal sealed class EventHub
{
    private readonly ConcurrentDictionary<Subscription, byte> _subscribers = new();
    private long _lastId;

    /// <summary>The id of the newest status event published, or 0.</summary>
    public long LastId => Interlocked.Read(ref _lastId);

    public int SubscriberCount => _subscribers.Count;

    public Subscription Subscribe(int capacity)
    {
        var subscription = new Subscription(this, capacity);
        _subscribers.TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>Hands committed events (in commit order) to every subscriber.</summary>
    public void Publish(IReadOnlyList<LiveEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Id is { } id)
            {
                Interlocked.Exchange(ref _lastId, Math.Max(id, LastId));
            }
        }
        foreach (var subscriber in _subscribers.Keys)
        {
            foreach (var e in events)
            {
                if (!subscriber.Offer(e))
                {
                    // Cut off: it gets nothing more, and costs nothing more.
                    _subscribers.TryRemove(subscriber, out _);
                    break;
                }
            }
        }
    }

    internal void Remove(Subscription subscription) => _subscribers.TryRemove(subscription, out _);

    /// <summary>One client's view of the hub. Dispose to leave.</summary>
    internal sealed class Subscription : IDisposable
    {
        private readonly EventHub _hub;
        private readonly Channel<LiveEvent> _queue;

        public Subscription(EventHub hub, int capacity)
        {
            _hub = hub;
            _queue = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public ChannelReader<LiveEvent> Reader => _queue.Reader;

        internal bool Offer(LiveEvent e)
        {
            if (_queue.Writer.TryWrite(e))
            {
                return true;
            }
            // Full (too slow) or already closed: close it for good; the client resumes from its last id.
            _queue.Writer.TryComplete(new SlowConsumerException());
            return false;
        }

        public void Dispose()
        {
            _hub.Remove(this);
            _queue.Writer.TryComplete();
        }
    }
}

/// <summary>A client's queue overflowed: it is disconnected and resumes by id.</summary>
internal sealed class SlowConsumerException() : Exception("The client did not keep up with the event stream");
