using UptimeWatch.Scheduling;

namespace UptimeWatch.Tests.Scheduling;

public sealed class SlotTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void Consecutive_slots_miss_nothing() => Assert.Empty(MissedSlots.Between(T0, T0 + Minute, Minute));

    [Fact]
    public void The_first_slot_misses_nothing() => Assert.Empty(MissedSlots.Between(null, T0, Minute));

    [Fact]
    public void Every_slot_strictly_between_is_missed()
    {
        var missed = MissedSlots.Between(T0, T0 + 4 * Minute, Minute);

        Assert.Equal([T0 + Minute, T0 + 2 * Minute, T0 + 3 * Minute], missed);
    }

    [Fact]
    public void Jitter_in_fire_times_does_not_invent_a_missed_slot() =>
        Assert.Empty(MissedSlots.Between(T0, T0 + Minute + TimeSpan.FromMilliseconds(300), Minute));

    [Fact]
    public void A_very_long_gap_is_capped() =>
        Assert.Equal(MissedSlots.MaxRecorded, MissedSlots.Between(T0, T0 + 10_000 * Minute, Minute).Count);

    [Fact]
    public void First_slots_are_stable_per_monitor_and_within_one_interval()
    {
        var interval = TimeSpan.FromSeconds(30);
        var now = T0.AddMilliseconds(1234);

        var first = ScheduleReconciler.FirstSlot(7, interval, now);

        Assert.InRange(first, now, now + interval);
        // A restart later lands on the same phase of the interval.
        var later = ScheduleReconciler.FirstSlot(7, interval, now.AddMinutes(17).AddMilliseconds(321));
        Assert.Equal(0, (later - first).TotalMilliseconds % interval.TotalMilliseconds);
    }

    [Fact]
    public void First_slots_of_many_monitors_spread_over_the_interval()
    {
        var interval = TimeSpan.FromSeconds(30);
        var offsets = Enumerable.Range(1, 3000)
            .Select(id => (ScheduleReconciler.FirstSlot(id, interval, T0) - T0).TotalSeconds)
            .ToList();

        // Every one-second bucket of the interval gets a fair share: no thundering herd at start.
        var buckets = offsets.GroupBy(o => (int)o).Select(g => g.Count()).ToList();
        Assert.Equal(30, buckets.Count);
        Assert.All(buckets, count => Assert.InRange(count, 50, 150));
    }

    [Theory]
    [InlineData(1, 500)]
    [InlineData(4, 2000)]
    [InlineData(60, 5000)]
    public void The_misfire_threshold_is_half_the_interval_at_most_five_seconds(int intervalSeconds, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ScheduleReconciler.MisfireThreshold(TimeSpan.FromSeconds(intervalSeconds)));
}
