using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

/// <summary>
/// The documented rule: going down raises an alert at once, flapping or not; flapping holds back only the repeats
/// (no resolve while it flaps, so the flips share one alert), as Nagios does.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class AlertRulesTests
{
    private static readonly AlertRulesSettings Rules = new() { Channels = ["hook"], OnDegraded = true };

    private static MonitorStatus S(string status) => Enum.Parse<MonitorStatus>(status, ignoreCase: true);

    [Theory]
    // Not flapping: down raises, leaving down resolves.
    [InlineData("up", "down", false, false, false, "Raise", "down")]
    [InlineData("down", "up", false, false, true, "Resolve", "recovered")]
    [InlineData("down", "degraded", false, false, true, "Resolve", "recovered")]
    [InlineData("down", "maintenance", false, false, true, "Resolve", "")]
    [InlineData("up", "degraded", false, false, false, "None", "degraded")]
    // Flapping starts: one notice; a down at that check is alerted first, an up does not resolve.
    [InlineData("up", "up", false, true, false, "None", "flapping.started")]
    [InlineData("up", "down", false, true, false, "Raise", "down flapping.started")]
    [InlineData("up", "down", false, true, true, "None", "flapping.started")]
    [InlineData("down", "up", false, true, true, "None", "flapping.started")]
    // While it flaps: the first down is alerted at once; ups keep the alert open, so later flips send nothing.
    [InlineData("up", "down", true, true, false, "Raise", "down")]
    [InlineData("up", "down", true, true, true, "None", "")]
    [InlineData("down", "up", true, true, true, "None", "")]
    [InlineData("down", "degraded", true, true, true, "None", "")]
    [InlineData("up", "degraded", true, true, false, "None", "")]
    // It settles: the alert is brought in line with the status, else a notice of how it settled.
    [InlineData("up", "up", true, false, true, "Resolve", "recovered")]
    [InlineData("degraded", "degraded", true, false, true, "Resolve", "recovered")]
    [InlineData("down", "down", true, false, false, "Raise", "down")]
    [InlineData("down", "down", true, false, true, "None", "flapping.stopped")]
    [InlineData("up", "up", true, false, false, "None", "flapping.stopped")]
    // Paused or in maintenance while flapping: quiet, and the alert is resolved.
    [InlineData("down", "paused", true, false, true, "Resolve", "")]
    [InlineData("up", "maintenance", true, true, true, "Resolve", "")]
    public void Each_change_takes_the_documented_step_and_notifications(string from, string to, bool wasFlapping, bool flapping, bool open,
        string step, string notifications)
    {
        var change = new StatusChange(S(from), S(to), DateTimeOffset.UnixEpoch, "why") { WasFlapping = wasFlapping, Flapping = flapping };

        var taken = AlertRules.Step(change, open);

        Assert.Equal(step, taken.ToString());
        Assert.Equal(notifications, string.Join(' ', AlertRules.Notifications(change, taken, Rules, certificate: false)));
    }

    [Theory]
    // Three failures confirm a down: the flips set the flag without a down; the steady failure (from check 15) is
    // alerted at its third check, with the flag still set.
    [InlineData(3, "UUUUU" + "DUDUDUDUDU", "flapping.started@8 down@17 flapping.stopped")]
    // One failure is a down: the flips raise and resolve until the flag is set (at an up, which then does not
    // resolve); that alert stays open through the flips and the steady failure, so nothing more is sent.
    [InlineData(1, "UUUUU" + "DUDUDUDUDU", "down@5 recovered@6 down@7 flapping.started@8 flapping.stopped")]
    public void Flips_then_a_steady_failure_send_one_down_at_once_and_no_more(int failureThreshold, string flips, string expected)
    {
        // Through the real state machine, with the default flapping thresholds; then 25 failures in a row.
        var thresholds = new Thresholds(Failure: failureThreshold, Success: 1);
        var verdicts = flips + new string('D', 25);
        var state = MonitorState.Initial;
        var open = false;
        var sent = new List<string>();
        for (var i = 0; i < verdicts.Length; i++)
        {
            var next = MonitorStateMachine.Apply(state, verdicts[i] == 'U' ? Verdict.Up : Verdict.Down, thresholds, inMaintenance: false);
            if (next.Status != state.Status || next.Flapping != state.Flapping)
            {
                var change = new StatusChange(state.Status, next.Status, DateTimeOffset.UnixEpoch, "why") { WasFlapping = state.Flapping, Flapping = next.Flapping };
                var step = AlertRules.Step(change, open);
                open = step switch { IncidentStep.Raise => true, IncidentStep.Resolve => false, _ => open };
                // Where it was sent (check index), for the ones that matter here.
                sent.AddRange(AlertRules.Notifications(change, step, Rules, certificate: false)
                    .Select(e => e == "flapping.stopped" ? e : $"{e}@{i}"));
            }
            state = next;
        }

        Assert.Equal(expected, string.Join(' ', sent));
        Assert.True(open);
        Assert.Equal((MonitorStatus.Down, false), (state.Status, state.Flapping));
    }
}
