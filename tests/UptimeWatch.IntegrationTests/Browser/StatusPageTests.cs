using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using UptimeWatch.Storage;
using static Microsoft.Playwright.Assertions;
using static UptimeWatch.IntegrationTests.Browser.BrowserPages;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// The public status page in a real Chromium against UptimeWatch on Kestrel, watching a local target site.
/// Every assertion is on what a viewer sees; every wait is bounded.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class StatusPageTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };

    private readonly BrowserPages _pages = new(chromium);
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _pages.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Fact]
    public async Task A_monitor_turns_down_live_without_a_reload_and_the_incident_appears()
    {
        await using var host = StatusPageHost.Start(
            new PageMonitor("Checkout API", _target.Url("/health")),
            new PageMonitor("Website", _target.Url("/ok")));
        var page = await OpenAsync(host, "/");

        var checkout = Card(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(page.Locator("#transport")).ToHaveTextAsync("live", Soon);
        await Expect(page.Locator("#banner .banner-text")).ToHaveTextAsync("All systems operational", Soon);
        // The 90-day bar, drawn from the snapshot's day columns: one bar per day, today's last, each with its date.
        var bars = checkout.Locator(".bars .bar");
        await Expect(bars).ToHaveCountAsync(90);
        var today = DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Expect(bars.Last).ToHaveAttributeAsync("aria-label", new Regex($@"^[^;]*\b{today}\b[^;]*; "));
        await MarkPageAsync(page);

        _target.Healthy = false;

        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(Card(page, "Website").Locator(".state-text")).ToHaveTextAsync("Up");
        await Expect(page.Locator("#banner .banner-text")).ToHaveTextAsync("Partial outage", Soon);
        await Expect(Incident(page, "Checkout API", "Down").Filter(new() { HasText = "was Up" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(checkout.Locator(".checked")).ToHaveTextAsync(new Regex(@"^Checked \d+ s ago"));
        await AssertSamePageAsync(page);

        await SaveScreenshotAsync(page, "status-page.png");
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task A_flapping_monitor_shows_unstable_beside_its_real_state_live()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", _target.Url("/health")));
        var page = await OpenAsync(host, "/");
        var checkout = Card(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(checkout.Locator(".unstable")).ToBeHiddenAsync();

        // Every check sees the opposite of the one before (driven by the checks, not a clock).
        using var alternating = _target.Alternate();
        try
        {
            await Expect(checkout.Locator(".unstable")).ToBeVisibleAsync(new() { Timeout = 40_000 });
            await Expect(checkout.Locator(".unstable")).ToHaveTextAsync("Unstable");
            // The state beside it is still what the checks say.
            await Expect(checkout.Locator(".state-text")).ToHaveTextAsync(new Regex("^(Up|Down)$"));
            await Expect(page.Locator("#banner .banner-detail")).ToContainTextAsync("1 unstable", new() { Timeout = 15_000 });
            await SaveScreenshotAsync(page, "status-page-unstable.png");
        }
        finally
        {
            alternating.Dispose();
        }
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task Last_checked_time_and_todays_bar_move_live_with_the_coalesced_check_frames()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", _target.Url("/health")));
        var page = await OpenAsync(host, "/");
        var checkout = Card(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(page.Locator("#transport")).ToHaveTextAsync("live", Soon);
        await MarkPageAsync(page);
        var checkedAt = await checkout.Locator(".checked time").GetAttributeAsync("datetime");

        // Newer checks arrive in checks frames: "Checked … ago" moves on without a reload.
        await page.WaitForFunctionAsync(
            "before => { const t = document.querySelector('article[data-slug=\"checkout-api\"] .checked time'); return t && t.dateTime > before; }",
            checkedAt ?? "", new() { Timeout = 15_000 });

        // Failed checks lower today's uptime: only the folded-in check results can say so (a status event counts an incident).
        _target.Healthy = false;
        await Expect(checkout.Locator(".bars .bar").Last).ToHaveAttributeAsync("aria-label", new Regex(@"; \d{1,2}\.\d\d% uptime"), new() { Timeout = 15_000 });
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(checkout.Locator(".chart-caption")).ToHaveTextAsync(new Regex(@"avg \d"), Soon);
        await AssertSamePageAsync(page);
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task With_transport_poll_a_monitor_turns_down_live_and_the_indicator_says_polling()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", _target.Url("/health")));
        var page = await OpenAsync(host, "/?transport=poll");

        var checkout = Card(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(page.Locator("#transport")).ToHaveTextAsync("polling");
        await MarkPageAsync(page);

        _target.Healthy = false;

        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(page.Locator("#banner .banner-text")).ToHaveTextAsync("Major outage", Soon);
        // The one this change made (on a busy machine the very first check may have timed out: an earlier "was Unknown" one).
        await Expect(Incident(page, "Checkout API", "Down").Filter(new() { HasText = "was Up" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(page.Locator("#transport")).ToHaveTextAsync("polling");
        await AssertSamePageAsync(page);
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task When_the_event_stream_never_gets_through_the_page_falls_back_to_polling_by_itself()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", _target.Url("/health")));
        var context = await _pages.NewContextAsync();
        // What a proxy that cannot stream looks like to EventSource: every attempt fails.
        await context.RouteAsync("**/api/live/events**", route => route.FulfillAsync(new() { Status = 204 }));
        var page = await OpenAsync(host, "/", context: context);

        await Expect(page.Locator("#transport")).ToHaveTextAsync("polling", Soon);
        var checkout = Card(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await MarkPageAsync(page);

        _target.Healthy = false;

        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(Incident(page, "Checkout API", "Down").Filter(new() { HasText = "was Up" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await AssertSamePageAsync(page);
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task A_monitor_named_like_markup_renders_as_literal_text_and_runs_nothing()
    {
        const string name = "<img src=x onerror=alert(1)>";
        const string group = "<script>alert(2)</script>";
        await using var host = StatusPageHost.Start(new PageMonitor(name, _target.Url("/health"), group));
        var page = await OpenAsync(host, "/");

        var card = Card(page, name);
        await Expect(card.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(card.Locator(".monitor-name")).ToHaveTextAsync(name);
        await Expect(page.Locator(".group-name")).ToHaveTextAsync(group);

        // Its name also reaches the page through the live stream and the incident history.
        _target.Healthy = false;
        await Expect(Incident(page, name, "Down").Filter(new() { HasText = "was Up" })).ToBeVisibleAsync(new() { Timeout = 15_000 });

        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        await Expect(page.Locator("main script")).ToHaveCountAsync(0);
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task A_reset_for_a_stream_too_far_behind_reloads_the_snapshot_in_place_and_the_page_goes_on_live()
    {
        var config = Path.Combine(TestPaths.NewTempDirectory("uw-browser-config"), "uptimewatch.json");
        await File.WriteAllTextAsync(config, """{ "UptimeWatch": { "Live": { "MaxReplayEvents": 1 } } }""");
        await using var host = StatusPageHost.Start(config, new PageMonitor("Checkout API", _target.Url("/health")));
        await WaitForFirstVerdictAsync(host);
        await host.AddPastStatusChangesAsync("checkout-api", 3, MonitorStatus.Up);
        var context = await _pages.NewContextAsync();
        var streams = 0;
        // The page's first stream asks from the start of the log, as a tab asleep for days would: more than
        // MaxReplayEvents behind. Later streams are left as the page makes them.
        await context.RouteAsync("**/api/live/events**", route => Interlocked.Increment(ref streams) == 1
            ? route.ContinueAsync(new() { Url = new Uri(host.BaseUrl, "api/live/events?lastEventId=0").ToString() })
            : route.ContinueAsync());
        int snapshots = 0, documents = 0;
        context.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/status/page", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref snapshots);
            }
            if (request.ResourceType == "document")
            {
                Interlocked.Increment(ref documents);
            }
        };
        var page = await OpenAsync(host, "/", context: context);

        // Reset: the snapshot is fetched again and a second stream opened, in the same document.
        await Eventually.Until(() => Task.FromResult((Volatile.Read(ref snapshots), Volatile.Read(ref streams))),
            seen => seen.Item1 >= 2 && seen.Item2 >= 2, TimeSpan.FromSeconds(15), "a second snapshot and stream after the reset");
        var checkout = Card(page, "Checkout API");
        await Expect(page.Locator("#transport")).ToHaveTextAsync("live", Soon);
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await MarkPageAsync(page);

        _target.Healthy = false;

        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(page.Locator("#incident-days .incident")).ToHaveCountAsync(5, new() { Timeout = 15_000 }); // first verdict, 3 past, the new down
        await AssertSamePageAsync(page);
        Assert.Equal(1, documents);
        _pages.AssertNoScriptRan();
    }

    [Fact]
    public async Task Load_more_pages_the_incident_history_by_id_and_shows_each_change_once()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", _target.Url("/health")));
        await WaitForFirstVerdictAsync(host);
        await host.AddPastStatusChangesAsync("checkout-api", 24, MonitorStatus.Up);
        var page = await OpenAsync(host, "/");
        var incidents = page.Locator("#incident-days .incident");
        await Expect(incidents).ToHaveCountAsync(20, new() { Timeout = 15_000 });

        await page.Locator("#load-more").ClickAsync();

        await Expect(incidents).ToHaveCountAsync(25);
        await Expect(page.Locator("#load-more")).ToBeHiddenAsync();
        var ids = await incidents.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)");
        Assert.Equal(ids.Select(long.Parse).OrderDescending(), ids.Select(long.Parse));
        _pages.AssertNoScriptRan();
    }

    private static async Task WaitForFirstVerdictAsync(UptimeWatchApp host)
    {
        using var client = new HttpClient { BaseAddress = host.BaseUrl };
        await Eventually.Until(() => client.GetStringAsync("api/events"), body => body.Contains("\"to\":\"up\""),
            TimeSpan.FromSeconds(15), "the first verdict");
    }

    [Fact]
    public async Task On_a_375_px_phone_the_page_has_no_horizontal_scroll()
    {
        await using var host = StatusPageHost.Start(
            new PageMonitor("A monitor with a rather long name that has to wrap on a narrow phone screen", _target.Url("/health")),
            new PageMonitor("Website", _target.Url("/ok")));
        var page = await OpenAsync(host, "/", new ViewportSize { Width = 375, Height = 812 });

        await Expect(Card(page, "Website").Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        _target.Healthy = false;
        await Expect(Incident(page, "A monitor with a rather long name", "Down")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"The page is {widths[0]} px wide in a {widths[1]} px viewport: it scrolls sideways.");
        await SaveScreenshotAsync(page, "status-page-phone.png");
        _pages.AssertNoScriptRan();
    }

    private Task<IPage> OpenAsync(UptimeWatchApp host, string path, ViewportSize? viewport = null, IBrowserContext? context = null) =>
        _pages.OpenAsync(new Uri(host.BaseUrl, path), viewport ?? new() { Width = 1200, Height = 900 }, context);

    /// <summary>A monitor's card, found the way a screen reader finds it: an article named after the monitor.</summary>
    private static ILocator Card(IPage page, string monitorName) =>
        page.GetByRole(AriaRole.Article, new() { Name = monitorName, Exact = true });

    /// <summary>An entry of the incident history: the monitor's name and the state it changed to.</summary>
    private static ILocator Incident(IPage page, string monitorName, string to) =>
        page.Locator("#incident-days .incident")
            .Filter(new() { Has = page.Locator(".incident-name", new() { HasTextString = monitorName }) })
            .Filter(new() { Has = page.Locator(".incident-title > .state .state-text", new() { HasTextRegex = new Regex($"^{to}$") }) });
}
