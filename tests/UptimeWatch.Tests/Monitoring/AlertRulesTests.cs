using UptimeWatch.Alerting;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

/// <summary>The documented rule: flapping holds alert steps and down/up notifications back, as Nagios does.</summary>
public sealed class AlertRulesTests
{
    private static readonly AlertRulesSettings Rules = new() { Channels = ["hook"], OnDegraded = true };

    private static MonitorStatus S(string status) => Enum.Parse<MonitorStatus>(status, ignoreCase: true);

    [Theory]
    // Not flapping: down raises, leaving down resolves.
    [InlineData("up", "down", false, false, false, "Raise", "down")]
    [InlineData("down", "up", false, false, true, "Resolve", "recovered")]
    [InlineData("down", "maintenance", false, false, true, "Resolve", null)]
    [InlineData("up", "degraded", false, false, false, "None", "degraded")]
    // Flapping starts: one notice, nothing raised or resolved, whatever the status does at that check.
    [InlineData("up", "up", false, true, false, "None", "flapping.started")]
    [InlineData("up", "down", false, true, false, "None", "flapping.started")]
    [InlineData("down", "up", false, true, true, "None", "flapping.started")]
    // While it flaps: held back.
    [InlineData("up", "down", true, true, false, "None", null)]
    [InlineData("down", "up", true, true, true, "None", null)]
    [InlineData("up", "degraded", true, true, false, "None", null)]
    // It settles: a normal notification for where it settled.
    [InlineData("down", "down", true, false, false, "Raise", "down")]
    [InlineData("up", "up", true, false, true, "Resolve", "recovered")]
    [InlineData("down", "down", true, false, true, "None", "flapping.stopped")]
    [InlineData("up", "up", true, false, false, "None", "flapping.stopped")]
    // Paused while flapping: quiet, and the alert is resolved.
    [InlineData("down", "paused", true, false, true, "Resolve", null)]
    public void Each_change_takes_the_documented_step_and_notification(string from, string to, bool wasFlapping, bool flapping, bool open,
        string step, string? notification)
    {
        var change = new StatusChange(S(from), S(to), DateTimeOffset.UnixEpoch, "why") { WasFlapping = wasFlapping, Flapping = flapping };

        var taken = AlertRules.Step(change, open);

        Assert.Equal(step, taken.ToString());
        Assert.Equal(notification, AlertRules.Notification(change, taken, Rules, certificate: false));
    }
}
