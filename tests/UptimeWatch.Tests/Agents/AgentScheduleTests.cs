using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using UptimeWatch.Agents;
using UptimeWatch.Scheduling;

namespace UptimeWatch.Tests.Agents;

/// <summary>
/// The agent's schedule in-process on a <see cref="FakeTimeProvider"/> (Quartz fires on the container's clock): slots are
/// exactly the server's grid values and a slot the clock jumps past is skipped, not run late. The uploader is left out;
/// the checks are read from the buffer.
/// </summary>
public sealed class AgentScheduleTests : IAsyncLifetime
{
    // Years ahead of the real clock, and not on a whole second: a slot taken from the real clock, or from "now", shows.
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(12_345));
    private readonly string _data = TestPaths.NewTempDirectory("uw-agent-schedule");
    private FakeAgentServer _target = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _target = await FakeAgentServer.StartAsync();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.AddAgent(new AgentSettings
        {
            Server = _target.BaseUrl, Token = FakeAgentServer.Token, Location = FakeAgentServer.Location, DataDirectory = _data,
        });
        builder.Services.Remove(builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(AgentUploader)));
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _target.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<List<AgentCheck>> BufferedAsync() =>
        [.. (await _host.Services.GetRequiredService<AgentBuffer>().PeekAsync(1000, 10_000_000, default))
            .Select(c => JsonSerializer.Deserialize<AgentCheck>(c.Json, AgentProtocol.Json)!)];

    private Task<List<AgentCheck>> WaitForChecksAsync(int count) =>
        Eventually.Until(BufferedAsync, checks => checks.Count >= count, HostProcess.Deadline, $"{count} check(s) in the buffer");

    [Fact]
    public async Task Each_check_is_tagged_with_its_slot_of_the_servers_grid_and_a_slot_the_clock_jumps_past_is_skipped()
    {
        var interval = TimeSpan.FromSeconds(10);
        var first = Partitions.SlotAtOrAfter(7, interval, _clock.GetUtcNow() + AgentSchedule.StartMargin);
        await _host.Services.GetRequiredService<AgentSchedule>().ApplyAsync([_target.HealthMonitor(7, intervalSeconds: 10)], default);

        _clock.SetUtcNow(first);
        var one = Assert.Single(await WaitForChecksAsync(1));

        // Past three slots at once, the last of them 6 s late (more than the 5 s a slot may start late).
        _clock.Advance(TimeSpan.FromSeconds(36));
        var scheduler = await _host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await Eventually.Until(async () => (await scheduler.GetTrigger(AgentSchedule.TriggerKeyFor(7)))?.NextFireTimeUtc,
            next => next == first + 4 * interval, HostProcess.Deadline, "the trigger to skip the slots it missed");
        _clock.SetUtcNow(first + 4 * interval);
        var checks = await WaitForChecksAsync(2);

        Assert.Equal((7, first, first, UptimeWatch.Probing.Verdict.Up), (one.Monitor, one.Slot, one.At, one.Verdict));
        Assert.Equal([first, first + 4 * interval], checks.Select(c => c.Slot));
        Assert.Equal(first + 4 * interval, checks[1].At);
        Assert.All(checks, c => Assert.Equal(c.Slot, Partitions.SlotAtOrAfter(7, interval, c.Slot)));
    }

    [Fact]
    public async Task A_trigger_found_off_the_grid_records_nothing_and_is_put_back_on_the_grid()
    {
        var interval = TimeSpan.FromSeconds(10);
        await _host.Services.GetRequiredService<AgentSchedule>().ApplyAsync([_target.HealthMonitor(7, intervalSeconds: 10)], default);
        var scheduler = await _host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        // What Quartz makes of a start already past when stored: a start at "now", between two slots.
        var offGrid = Partitions.SlotAtOrAfter(7, interval, _clock.GetUtcNow() + AgentSchedule.StartMargin) + TimeSpan.FromMilliseconds(4_321.5);
        await scheduler.RescheduleJob(AgentSchedule.TriggerKeyFor(7), TriggerBuilder.Create(_clock)
            .WithIdentity(AgentSchedule.TriggerKeyFor(7)).ForJob(AgentSchedule.JobKeyFor(7)).StartAt(offGrid)
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever()).Build());

        _clock.SetUtcNow(offGrid);
        var next = await Eventually.Until(async () => (await scheduler.GetTrigger(AgentSchedule.TriggerKeyFor(7)))?.StartTimeUtc,
            start => start is { } at && Partitions.SlotAtOrAfter(7, interval, at) == at, HostProcess.Deadline, "the trigger back on the grid");
        _clock.SetUtcNow(next!.Value);
        var check = Assert.Single(await WaitForChecksAsync(1));

        Assert.Equal((next.Value, next.Value), (check.Slot, check.At));
    }

    [Fact]
    public async Task A_monitor_that_does_not_validate_is_skipped_and_the_others_are_scheduled()
    {
        var bad = new AgentMonitor(9, "bad", new Dictionary<string, string?> { ["Name"] = "Bad", ["Url"] = "htp://nowhere", ["IntervalSeconds"] = "10" });
        var schedule = _host.Services.GetRequiredService<AgentSchedule>();

        await schedule.ApplyAsync([bad, _target.HealthMonitor(7, intervalSeconds: 10)], default);

        Assert.Equal([7], schedule.Scheduled);
    }
}
