using System.Globalization;
using Cronos;

namespace UptimeWatch.Configuration;

/// <summary>A period during which a monitor shows <c>maintenance</c> and raises no down event.</summary>
internal abstract record MaintenanceWindow
{
    public abstract bool Contains(DateTimeOffset at);

    /// <summary>The end of the window that contains <paramref name="at"/>, for reasons shown to people.</summary>
    public abstract DateTimeOffset? EndOf(DateTimeOffset at);
}

/// <summary>From <c>Start</c> (inclusive) to <c>End</c> (exclusive).</summary>
internal sealed record OneOffMaintenance(DateTimeOffset Start, DateTimeOffset End) : MaintenanceWindow
{
    public override bool Contains(DateTimeOffset at) => at >= Start && at < End;

    public override DateTimeOffset? EndOf(DateTimeOffset at) => Contains(at) ? End : null;
}

/// <summary>Starts at every occurrence of a cron expression in a time zone and lasts <c>Duration</c>.</summary>
internal sealed record RecurringMaintenance(CronExpression Cron, TimeSpan Duration, TimeZoneInfo TimeZone, string Text) : MaintenanceWindow
{
    public override bool Contains(DateTimeOffset at) => LastStart(at) is not null;

    public override DateTimeOffset? EndOf(DateTimeOffset at) => LastStart(at) is { } start ? start + Duration : null;

    private DateTimeOffset? LastStart(DateTimeOffset at)
    {
        // The newest occurrence in (at - duration, at] is the window we are in, if any.
        DateTimeOffset? last = null;
        foreach (var start in Cron.GetOccurrences(at - Duration, at, TimeZone, fromInclusive: false, toInclusive: true))
        {
            last = start;
        }
        return last;
    }

    public override string ToString() =>
        $"{Text} ({TimeZone.Id}) for {Duration.TotalMinutes.ToString(CultureInfo.InvariantCulture)} min";
}
