namespace UptimeWatch.Scheduling;

/// <summary>
/// How a cluster splits the monitors: <see cref="Count"/> partitions, each a durable Quartz job fired every
/// <see cref="Window"/>; a monitor belongs to the partition its id hashes to. The cluster's job store decides which node
/// fires each window of each partition, so ownership and takeover are Quartz's, not ours (docs/scale-out.md).
/// </summary>
internal static class Partitions
{
    public const int Count = 64;

    /// <summary>What one firing of a partition covers: the slots in [fire time, fire time + Window).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>A stable hash (the same in every process and version; not <c>GetHashCode</c>), mixed so that consecutive ids spread.</summary>
    public static int Of(int monitorId)
    {
        var x = (uint)monitorId;
        x ^= x >> 16;
        x *= 0x85EBCA6Bu;
        x ^= x >> 13;
        x *= 0xC2B2AE35u;
        x ^= x >> 16;
        return (int)(x % Count);
    }

    /// <summary>
    /// The first slot of the monitor at or after <paramref name="at"/>, on the same grid as a single node uses
    /// (<see cref="ScheduleReconciler.FirstSlot"/>: its phase plus whole intervals), in whole milliseconds so that the
    /// same slot computed on two nodes is the same key.
    /// </summary>
    public static DateTimeOffset SlotAtOrAfter(int monitorId, TimeSpan interval, DateTimeOffset at)
    {
        var intervalMs = (long)interval.TotalMilliseconds;
        var phase = (long)((uint)monitorId * 2654435761u % (ulong)intervalMs);
        var ms = at.ToUnixTimeMilliseconds();
        if (at.UtcTicks % TimeSpan.TicksPerMillisecond != 0)
        {
            ms++;
        }
        var k = (long)Math.Ceiling((ms - phase) / (double)intervalMs);
        return DateTimeOffset.FromUnixTimeMilliseconds(phase + k * intervalMs);
    }

    /// <summary>The monitor's slots in [<paramref name="from"/>, <paramref name="to"/>), oldest first, at most <paramref name="max"/>.</summary>
    public static List<DateTimeOffset> SlotsIn(int monitorId, TimeSpan interval, DateTimeOffset from, DateTimeOffset to, int max = int.MaxValue)
    {
        var slots = new List<DateTimeOffset>();
        for (var slot = SlotAtOrAfter(monitorId, interval, from); slot < to && slots.Count < max; slot += interval)
        {
            slots.Add(slot);
        }
        return slots;
    }

    /// <summary>
    /// When partition <paramref name="partition"/> first fires after <paramref name="now"/>: windows start on multiples of
    /// <see cref="Window"/>, each partition shifted by its share of it, so the 64 firings spread over the window rather
    /// than all being acquired at once.
    /// </summary>
    public static DateTimeOffset FirstFire(int partition, DateTimeOffset now)
    {
        var windowMs = (long)Window.TotalMilliseconds;
        var offset = partition * windowMs / Count;
        var ms = now.ToUnixTimeMilliseconds();
        var next = (ms - offset) / windowMs * windowMs + windowMs + offset;
        return DateTimeOffset.FromUnixTimeMilliseconds(next);
    }
}
