using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

public sealed class RollupMathTests
{
    [Fact]
    public void P95_of_one_to_a_hundred_is_95_and_of_one_value_is_that_value()
    {
        Assert.Equal(95, RollupMath.Percentile95([.. Enumerable.Range(1, 100).Reverse()]));
        Assert.Equal(7, RollupMath.Percentile95([7]));
        Assert.Null(RollupMath.Percentile95([]));
    }

    [Fact]
    public void Uptime_leaves_maintenance_out_of_both_sides_and_is_null_without_counted_checks()
    {
        Assert.Equal(75, RollupMath.UptimePercent(checks: 10, maintenance: 6, failures: 1));
        Assert.Null(RollupMath.UptimePercent(checks: 3, maintenance: 3, failures: 0));
        Assert.Null(RollupMath.UptimePercent(checks: 0, maintenance: 0, failures: 0));
    }

    [Fact]
    public void Uptime_is_never_rounded_up_to_100_while_there_was_a_failure()
    {
        Assert.Equal(99.999, RollupMath.UptimePercent(checks: 1_000_000, maintenance: 0, failures: 1));
        Assert.Equal(100, RollupMath.UptimePercent(checks: 1_000_000, maintenance: 0, failures: 0));
    }

    [Fact]
    public void A_day_without_its_raw_values_takes_the_largest_hourly_p95()
    {
        Rollup Hour(int p95, int timed) => new() { Checks = timed, TimedChecks = timed, SumMs = timed * 10, MinMs = 1, MaxMs = p95 + 5, P95Ms = p95 };

        var day = RollupMath.Combine(1, HistoryApp.DefaultNow, [Hour(80, 10), Hour(120, 10), new Rollup { Checks = 2, Missed = 1 }], exactP95: null);

        Assert.Equal((22, 1, 20, 200L, 1, 125, 120), (day.Checks, day.Missed, day.TimedChecks, day.SumMs, day.MinMs, day.MaxMs, day.P95Ms));
        Assert.Equal(95, RollupMath.Combine(1, HistoryApp.DefaultNow, [Hour(80, 10), Hour(120, 10)], exactP95: 95).P95Ms);
    }
}
