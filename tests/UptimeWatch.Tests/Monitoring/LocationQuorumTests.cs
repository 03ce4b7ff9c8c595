using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

/// <summary>The quorum over a monitor's probe locations: down only when enough of them agree.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class LocationQuorumTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private static LocationView At(string name, MonitorStatus status, int secondsAgo = 5, bool cutOff = false) =>
        new(name, status, Now.AddSeconds(-secondsAgo), cutOff);

    private static QuorumVerdict Judge(int quorum, params LocationView[] locations) =>
        LocationQuorum.Judge(locations, quorum, Interval, Now);

    [Fact]
    public void One_location_of_three_down_is_degraded_naming_it_and_no_more()
    {
        var verdict = Judge(2, At("us-east", MonitorStatus.Down), At("eu-west", MonitorStatus.Up), At("local", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Degraded, "down from us-east (1 of 3)", "degraded in 1 of 3 locations"),
            (verdict.Status, verdict.Reason, verdict.PublicReason));
        Assert.Equal(["us-east"], verdict.Agreeing);
    }

    [Fact]
    public void The_quorum_down_is_down_naming_every_location_that_agrees()
    {
        var verdict = Judge(2, At("us-east", MonitorStatus.Down), At("eu-west", MonitorStatus.Down), At("local", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Down, "down from us-east, eu-west (2 of 3)", "down in 2 of 3 locations"),
            (verdict.Status, verdict.Reason, verdict.PublicReason));
        Assert.Equal(["us-east", "eu-west"], verdict.Agreeing);
    }

    [Fact]
    public void All_up_is_up()
    {
        var verdict = Judge(2, At("a", MonitorStatus.Up), At("b", MonitorStatus.Up), At("c", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Up, 3), (verdict.Status, verdict.Voting));
    }

    [Fact]
    public void A_location_silent_for_three_intervals_is_offline_and_never_counts_as_down()
    {
        // b stopped reporting while its last verdict was down: 91 s ago is more than 3 × 30 s.
        var verdict = Judge(2, At("a", MonitorStatus.Up), At("b", MonitorStatus.Down, secondsAgo: 91), At("c", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Up, 2), (verdict.Status, verdict.Voting));
        Assert.True(LocationQuorum.IsOffline(At("b", MonitorStatus.Down, secondsAgo: 91), Now, Interval));
        Assert.False(LocationQuorum.IsOffline(At("b", MonitorStatus.Down, secondsAgo: 90), Now, Interval));
    }

    [Fact]
    public void The_quorum_is_taken_among_the_locations_that_report()
    {
        // c is offline: a and b both down is 2 of the 2 that report, which is the quorum.
        var verdict = Judge(2, At("a", MonitorStatus.Down), At("b", MonitorStatus.Down), At("c", MonitorStatus.Up, secondsAgo: 300));

        Assert.Equal((MonitorStatus.Down, "down from a, b (2 of 2)"), (verdict.Status, verdict.Reason));
    }

    [Fact]
    public void Fewer_locations_reporting_than_the_quorum_is_unknown_not_down()
    {
        var verdict = Judge(2, At("a", MonitorStatus.Down), At("b", MonitorStatus.Down, secondsAgo: 600),
            At("c", MonitorStatus.Down, cutOff: true));

        Assert.Equal(MonitorStatus.Unknown, verdict.Status);
        Assert.Equal("1 of 3 locations report, fewer than the quorum of 2: b offline, c cannot reach the internet", verdict.Reason);
        Assert.Equal("not enough locations reporting (1 of 3)", verdict.PublicReason);
    }

    [Fact]
    public void A_location_whose_canaries_fail_is_held_its_down_not_counted()
    {
        var verdict = Judge(2, At("a", MonitorStatus.Down, cutOff: true), At("b", MonitorStatus.Up), At("c", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Up, 2), (verdict.Status, verdict.Voting));
    }

    [Fact]
    public void A_location_with_no_verdict_yet_does_not_vote()
    {
        var verdict = Judge(1, At("a", MonitorStatus.Unknown), new LocationView("b", MonitorStatus.Unknown, null, false));

        Assert.Equal(MonitorStatus.Unknown, verdict.Status);
        Assert.Equal("0 of 2 locations report, fewer than the quorum of 1: a has no verdict yet, b offline", verdict.Reason);
    }

    [Fact]
    public void Degraded_somewhere_and_down_nowhere_is_degraded()
    {
        var verdict = Judge(2, At("a", MonitorStatus.Degraded), At("b", MonitorStatus.Up), At("c", MonitorStatus.Up));

        Assert.Equal((MonitorStatus.Degraded, "degraded from a (1 of 3)", "degraded in 1 of 3 locations"),
            (verdict.Status, verdict.Reason, verdict.PublicReason));
    }

    [Fact]
    public void One_location_alone_is_judged_as_a_monitor_always_was()
    {
        Assert.Equal(MonitorStatus.Down, Judge(LocationQuorum.Majority(1), At("local", MonitorStatus.Down)).Status);
        Assert.Equal(MonitorStatus.Up, Judge(LocationQuorum.Majority(1), At("local", MonitorStatus.Up)).Status);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    public void The_default_quorum_is_a_majority(int locations, int quorum) =>
        Assert.Equal(quorum, LocationQuorum.Majority(locations));

    [Fact]
    public void After_a_restart_a_location_that_had_reported_has_three_intervals_from_the_start_and_one_that_never_did_is_offline_at_once()
    {
        var started = Now.AddSeconds(-60);
        // Last heard 5 minutes ago, before the restart a minute ago: not yet three intervals (90 s) of listening.
        var before = At("eu-west", MonitorStatus.Up, secondsAgo: 300);
        var never = new LocationView("ap-south", MonitorStatus.Unknown, null, false);

        Assert.False(LocationQuorum.IsOffline(before, Now, Interval, started));
        Assert.True(LocationQuorum.IsOffline(before, Now.AddSeconds(31), Interval, started));
        Assert.True(LocationQuorum.IsOffline(never, Now, Interval, started));
        Assert.Equal(MonitorStatus.Up, LocationQuorum.Judge([before, At("us-east", MonitorStatus.Up), never], 2, Interval, Now, started).Status);
    }
}
