using System.Text;
using UptimeWatch.Journal;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// The notice a cluster node sends when a batch commits carries the batch's check results to every node, under
/// PostgreSQL's limit of 8000 bytes per notification: a big batch becomes several notices, nothing lost, in order.
/// </summary>
public sealed class JournalNoticeTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_batch_of_a_thousand_checks_is_split_into_notices_under_the_limit_that_keep_every_check_in_order()
    {
        var steps = Enumerable.Range(1, 1000)
            .Select(i => new CommittedWrite(i, null, new CheckResult { MonitorId = i, At = At.AddMilliseconds(i), Outcome = CheckOutcome.Up, ResponseMs = 100_000 + i },
                null, null, null, null, At))
            .Append(new CommittedWrite(7, null, null, new StatusEvent { Id = 42, MonitorId = 7, Kind = EventKind.Status, Reason = "paused by admin" },
                null, null, null, At))
            .ToList();

        var payloads = JournalNotice.Payloads(steps);

        Assert.True(payloads.Count > 1, "A thousand checks cannot fit in one notification");
        Assert.All(payloads, p => Assert.True(Encoding.UTF8.GetByteCount(p) < 8000, $"{Encoding.UTF8.GetByteCount(p)} bytes"));
        var notices = payloads.Select(p => JournalNotice.Parse(p)!).ToList();
        Assert.All(notices, n => Assert.Equal(42, n.UpTo));
        var items = notices.SelectMany(n => n.Items).ToList();
        Assert.Equal([.. Enumerable.Range(1, 1000), 7], items.Select(i => i.MonitorId));
        Assert.Equal(At.AddMilliseconds(1000).ToUnixTimeMilliseconds(), items[999].At);
        Assert.Equal(("up", 101_000), (items[999].Outcome, items[999].ResponseMs));
        // The status change without a check (a pause) carries only the status to show.
        Assert.Null(items[^1].At);
    }

    [Fact]
    public void A_batch_with_nothing_for_live_viewers_sends_no_notice()
    {
        // A monitor's write with neither a check to show nor a change, and a system alert's, which is about no monitor.
        Assert.Empty(JournalNotice.Payloads([new CommittedWrite(1, null, null, null, null, null, null, At)]));
        Assert.Empty(JournalNotice.Payloads([new CommittedWrite(null, null, null, null, null, null, null, At)]));
    }

    [Fact]
    public void A_notice_this_version_cannot_read_only_wakes_the_reader() => Assert.Null(JournalNotice.Parse("not json"));
}
