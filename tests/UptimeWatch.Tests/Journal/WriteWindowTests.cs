using System.Net.Http.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Storage;
using UptimeWatch.Journal;
using CheckDto = UptimeWatch.Testing.CheckDto;
using EventDto = UptimeWatch.Testing.EventDto;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// The writer's window: routine check results wait to share a transaction, closed by the injected clock; a status
/// change is stored at once, together with everything queued before it.
/// </summary>
public sealed class WriteWindowTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task Routine_checks_wait_for_the_clock_to_close_the_window_but_a_status_change_is_stored_at_once_with_them()
    {
        // The writer's clock never moves unless the test moves it, so its window only closes when the test says so.
        // (Only the writer's: the scheduler keeps real time, so the checks go on.)
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // A cold target's first answer can take most of a second: shop's first "up" (urgent) would then share its
        // transaction with steady's second routine check, and that one would not look held.
        using (var warm = new HttpClient())
        {
            (await warm.GetAsync(_target.Url("/health"))).EnsureSuccessStatusCode();
        }
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [
                UptimeWatchApp.Monitor("Steady", _target.Url("/counted/steady"), failureThreshold: 1),
                UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1),
            ],
            new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "1000" });
        await using var host = app.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.AddSingleton(provider => ActivatorUtilities.CreateInstance<JournalWriter>(provider, clock))));
        using var client = host.CreateClient();
        async Task<List<CheckDto>> Checks(string slug) => (await client.GetFromJsonAsync<ChecksDto>($"/api/monitors/{slug}/checks?limit=100"))!.Checks;
        async Task<List<EventDto>> Events() => (await client.GetFromJsonAsync<EventsDto>("/api/events?after=0"))!.Events;

        // unknown → up is a change: each monitor's first check is stored although the clock stands still.
        await Eventually.Until(() => Events(), e => e.Count(x => x.To == "up") == 2, TimeSpan.FromSeconds(20), "both monitors up");
        // A job of a monitor starts only after its previous one queued its result: four are queued once a fifth is asked.
        await Eventually.Until(() => Task.FromResult(_target.Served("steady")), n => n >= 5, TimeSpan.FromSeconds(20), "five checks of steady");
        var held = await Checks("steady");

        _target.Healthy = false;
        var down = await Eventually.Until(() => Events(), e => e.Any(x => x.To == "down"), TimeSpan.FromSeconds(20), "shop down");
        var withTheChange = await Checks("steady");
        var servedThen = _target.Served("steady");
        await Eventually.Until(() => Task.FromResult(_target.Served("steady")), n => n >= servedThen + 2, TimeSpan.FromSeconds(20), "two more checks");
        var heldAgain = await Checks("steady");
        clock.Advance(TimeSpan.FromSeconds(1));
        var afterWindow = await Eventually.Until(() => Checks("steady"), c => c.Count > heldAgain.Count, TimeSpan.FromSeconds(20), "the window to close");

        Assert.Single(held);
        Assert.Equal("up→down", $"{down[^1].From}→{down[^1].To}");
        // Stored in the same transaction as the change, since they were queued before it.
        Assert.True(withTheChange.Count >= 4, $"{withTheChange.Count} checks of steady stored with shop's change, expected at least 4");
        Assert.Equal(withTheChange.Count, heldAgain.Count);
        Assert.All(afterWindow, c => Assert.Equal("up", c.Outcome));
    }
}
