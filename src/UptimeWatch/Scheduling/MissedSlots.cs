namespace UptimeWatch.Scheduling;

/// <summary>Which scheduled slots lie strictly between the last slot that ran and the one running now.</summary>
internal static class MissedSlots
{
    /// <summary>The most missed slots recorded for one gap; a longer gap (a suspended machine) is summarised.</summary>
    public const int MaxRecorded = 100;

    public static IReadOnlyList<DateTimeOffset> Between(DateTimeOffset? previousSlot, DateTimeOffset currentSlot, TimeSpan interval)
    {
        if (previousSlot is not { } previous || currentSlot <= previous || interval <= TimeSpan.Zero)
        {
            return [];
        }

        // Slots sit on previous + k·interval; allow a little jitter so a slot is never counted twice.
        var gaps = (long)Math.Round((currentSlot - previous) / interval);
        var missed = Math.Min(Math.Max(gaps - 1, 0), MaxRecorded);
        var slots = new DateTimeOffset[missed];
        for (var k = 0; k < missed; k++)
        {
            slots[k] = previous + interval * (k + 1);
        }
        return slots;
    }
}
