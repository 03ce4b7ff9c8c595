using System.Collections.Concurrent;
using System.Threading.Channels;

using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// One event, serialised once for every client: the SSE frame is built when the event is published, and each
/// transport writes the same bytes (or the same JSON) to each of its clients.
/// </summary>
/// <param name="Id">The event-log id for status events (the cursor); null for live-only events (check results).</param>
/// <param name="Kind"><c>status</c>, <c>check</c> (admin only) or <c>checks</c> (the public streams' coalesced check
/// results); for the admin socket also <c>alert.raised</c>, <c>alert.acknowledged</c>, <c>alert.resolved</c>,
/// <c>monitors.changed</c> and <c>config.rejected</c> (never public).</param>
/// <param name="Public">Whether public transports may send it (the monitor is public).</param>
/// <param name="Json">The <c>data</c> payload.</param>
/// <param name="Frame">The complete SSE frame (<c>id:</c>, <c>event:</c>, <c>data:</c>, blank line).</param>
internal sealed record LiveEvent(long? Id, string Kind, bool Public, ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Frame)
{
    /// <summary>
    /// The public copy of an event the admin socket gets in full (a status change with its public reason beside the one
    /// with the probe's own words): only public transports send it.
    /// </summary>
    public bool PublicOnly { get; init; }
}

/// <summary>What a subscriber is sent.</summary>
internal enum LiveFeed
{
    /// <summary>Every event published, public or not, each check on its own (the admin socket).</summary>
    Everything,

    /// <summary>Public status events and the coalesced <c>checks</c> frames (the public SSE stream).</summary>
    PublicStream,

    /// <summary>Public status events only (long polling).</summary>
    PublicStatus,
}

/// <summary>
/// In-process fan-out of committed events. Each subscriber has a bounded queue; a subscriber that falls behind is
/// cut off (its queue completes with <see cref="SlowConsumerException"/>) rather than slowing the publisher or
/// growing without bound — it reconnects and resumes by id. Publishing never blocks and never waits for a client.
/// Subscribers are kept apart by <see cref="LiveFeed"/>, so an event is only ever offered to the clients that send it:
/// a public viewer is not woken for an admin's check result.
/// </summary>
internal sealed class EventHub(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<Subscription, byte> _everything = new();
    private readonly ConcurrentDictionary<Subscription, byte> _streams = new();
    private readonly ConcurrentDictionary<Subscription, byte> _polls = new();
    private long _lastId;

    /// <summary>The id of the newest status event published, or 0.</summary>
    public long LastId => Interlocked.Read(ref _lastId);

    public int SubscriberCount => _everything.Count + _streams.Count + _polls.Count;

    /// <summary>Whether any client of <paramref name="feed"/> is connected now.</summary>
    public bool HasSubscribers(LiveFeed feed) => !Set(feed).IsEmpty;

    public Subscription Subscribe(int capacity, LiveFeed feed = LiveFeed.Everything)
    {
        var subscription = new Subscription(this, capacity, feed, _time.GetTimestamp());
        Set(feed).TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>
    /// Hands committed events (in commit order) to every subscriber whose feed has them. Callers that publish from
    /// more than one thread and need one order for everyone serialise their calls (<see cref="LivePublisher"/> does).
    /// </summary>
    public void Publish(IReadOnlyList<LiveEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Id is { } id)
            {
                Interlocked.Exchange(ref _lastId, Math.Max(id, LastId));
            }
        }
        // Each feed's share is picked once per publish, not once per client.
        var now = _time.GetTimestamp();
        // The few first: every offer queues the client's continuation on the thread pool, in this order, so the
        // admin sockets and the held polls are not served behind ten thousand streams.
        Offer(_everything, Pick(events, static e => e.Kind != CheckFrames.Kind && !e.PublicOnly), now);
        Offer(_polls, Pick(events, IsPublicStatus), now);
        Offer(_streams, Pick(events, static e => IsPublicStatus(e) || e.Kind == CheckFrames.Kind), now);
    }

    /// <summary>Sends <paramref name="keepAlive"/> to every public stream that has been offered nothing for <paramref name="idle"/>.</summary>
    public void KeepAlive(LiveEvent keepAlive, TimeSpan idle)
    {
        var now = _time.GetTimestamp();
        foreach (var (subscriber, _) in _streams)
        {
            if (_time.GetElapsedTime(subscriber.LastOffered, now) >= idle && !subscriber.Offer(keepAlive, now))
            {
                _streams.TryRemove(subscriber, out _);
            }
        }
    }

    private static bool IsPublicStatus(LiveEvent e) => e is { Public: true, Id: not null, Kind: "status" };

    private static LiveEvent[] Pick(IReadOnlyList<LiveEvent> events, Func<LiveEvent, bool> wanted)
    {
        var count = 0;
        foreach (var e in events)
        {
            count += wanted(e) ? 1 : 0;
        }
        if (count == 0)
        {
            return [];
        }
        var picked = new LiveEvent[count];
        var n = 0;
        foreach (var e in events)
        {
            if (wanted(e))
            {
                picked[n++] = e;
            }
        }
        return picked;
    }

    private static void Offer(ConcurrentDictionary<Subscription, byte> subscribers, LiveEvent[] events, long now)
    {
        if (events.Length == 0)
        {
            return;
        }
        // Enumerating the dictionary itself takes no lock and copies nothing (Keys would copy every subscriber).
        foreach (var (subscriber, _) in subscribers)
        {
            foreach (var e in events)
            {
                if (!subscriber.Offer(e, now))
                {
                    // Cut off: it gets nothing more, and costs nothing more.
                    subscribers.TryRemove(subscriber, out _);
                    break;
                }
            }
        }
    }

    private ConcurrentDictionary<Subscription, byte> Set(LiveFeed feed) => feed switch
    {
        LiveFeed.PublicStream => _streams,
        LiveFeed.PublicStatus => _polls,
        _ => _everything,
    };

    internal void Remove(Subscription subscription) => Set(subscription.Feed).TryRemove(subscription, out _);

    /// <summary>One client's view of the hub. Dispose to leave.</summary>
    internal sealed class Subscription : IDisposable
    {
        private readonly EventHub _hub;
        private readonly Channel<LiveEvent> _queue;
        private long _lastOffered;

        public Subscription(EventHub hub, int capacity, LiveFeed feed, long now)
        {
            _hub = hub;
            Feed = feed;
            _lastOffered = now;
            _queue = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public LiveFeed Feed { get; }

        public ChannelReader<LiveEvent> Reader => _queue.Reader;

        internal long LastOffered => Volatile.Read(ref _lastOffered);

        internal bool Offer(LiveEvent e, long now)
        {
            Volatile.Write(ref _lastOffered, now);
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
