using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

public sealed class BadgeTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Theory]
    [InlineData(MonitorStatus.Up, 0, "up", "#4c1")]
    [InlineData(MonitorStatus.Degraded, 0, "degraded", "#dfb317")]
    [InlineData(MonitorStatus.Down, 2, "down", "#e05d44")]
    [InlineData(MonitorStatus.Maintenance, 0, "maintenance", "#007ec6")]
    [InlineData(MonitorStatus.Up, 1, "pending", "#9f9f9f")]
    [InlineData(MonitorStatus.Unknown, 0, "unknown", "#9f9f9f")]
    public async Task The_status_badge_shows_the_status_in_its_colour_and_may_be_cached_for_a_minute(
        MonitorStatus status, int consecutiveFailures, string text, string colour)
    {
        await using var app = HistoryApp.Start();
        await app.AddMonitorAsync("Shop", status: status, consecutiveFailures: consecutiveFailures, slug: "shop");
        using var client = app.CreateClient();

        var response = await client.GetAsync("/badge/shop/status.svg");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=60", response.Headers.CacheControl?.ToString());
        var svg = XDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal($"Shop: {text}", svg.Root!.Element(Svg + "title")!.Value);
        Assert.Contains(svg.Descendants(Svg + "rect"), r => (string?)r.Attribute("fill") == colour);
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value == text);
    }

    [Fact]
    public async Task A_name_with_markup_is_escaped_and_the_badge_stays_valid_svg()
    {
        await using var app = HistoryApp.Start();
        const string name = "<img src=x onerror=alert(1)> & \"Co\" 'Ltd'";
        await app.AddMonitorAsync(name, slug: "xss");
        using var client = app.CreateClient();

        var body = await client.GetStringAsync("/badge/xss/status.svg");

        Assert.DoesNotContain("<img", body);
        var svg = XDocument.Parse(body);
        Assert.Equal($"{name}: up", svg.Root!.Element(Svg + "title")!.Value);
        Assert.Equal($"{name}: up", (string?)svg.Root.Attribute("aria-label"));
        Assert.DoesNotContain(svg.Descendants(), e => e.Name.LocalName is "img" or "script");
    }

    [Fact]
    public async Task Unknown_and_private_monitors_get_the_same_json_404()
    {
        await using var app = HistoryApp.Start();
        await app.AddMonitorAsync("Admin", isPublic: false, slug: "admin");
        using var client = app.CreateClient();

        foreach (var url in new[] { "/badge/admin/status.svg", "/badge/nope/status.svg", "/badge/admin/uptime.svg" })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("max-age", response.Headers.CacheControl?.ToString() ?? "");
        }
    }

    [Fact]
    public async Task The_uptime_badge_shows_the_period_from_rollups_coloured_by_threshold()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        var today = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        await using (var db = app.Db())
        {
            // Today perfect; 20 days ago 40 of 1000 failed (outside 7 d, inside 30 d).
            db.DailyRollups.Add(new Rollup { MonitorId = shop.Id, Start = today, Checks = 1000 });
            db.DailyRollups.Add(new Rollup { MonitorId = shop.Id, Start = today.AddDays(-20), Checks = 1000, Failures = 40 });
            db.HourlyRollups.Add(new Rollup { MonitorId = shop.Id, Start = today.AddHours(14), Checks = 30, Maintenance = 30 });
            await db.SaveChangesAsync();
        }
        using var client = app.CreateClient();

        Assert.Equal(("uptime 30d: 98%", Badge.Yellow), await UptimeAsync(client, "/badge/shop/uptime.svg"));
        Assert.Equal(("uptime 7d: 100%", Badge.Green), await UptimeAsync(client, "/badge/shop/uptime.svg?period=7d"));
        // Only maintenance in the last 24 h: nothing to count, which is not 0 % and not 100 %.
        Assert.Equal(("uptime 24h: no data", Badge.Grey), await UptimeAsync(client, "/badge/shop/uptime.svg?period=24h"));
        Assert.Equal(("Shop: 98%", Badge.Yellow), await UptimeAsync(client, "/badge/shop/uptime.svg?label=Shop"));
    }

    [Fact]
    public async Task An_unknown_period_gets_an_error_naming_it()
    {
        await using var app = HistoryApp.Start();
        await app.AddMonitorAsync("Shop", slug: "shop");
        using var client = app.CreateClient();

        var response = await client.GetAsync("/badge/shop/uptime.svg?period=1y");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("period \"1y\" must be one of 24h, 7d, 30d, 90d", problem.RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(99.9999, "99.99%")]
    [InlineData(100, "100%")]
    [InlineData(97.5, "97.5%")]
    public void Uptime_text_is_cut_not_rounded_up(double percent, string text) => Assert.Equal(text, Badge.UptimeText(percent));

    [Fact]
    public void Longer_text_makes_a_wider_badge()
    {
        var narrow = XDocument.Parse(Badge.Render("a", "up", Badge.Green));
        var wide = XDocument.Parse(Badge.Render("A much longer monitor name", "up", Badge.Green));
        Assert.True((int)narrow.Root!.Attribute("width")! + 100 < (int)wide.Root!.Attribute("width")!);
    }

    private static async Task<(string Title, string Colour)> UptimeAsync(HttpClient client, string url)
    {
        var svg = XDocument.Parse(await client.GetStringAsync(url));
        // The value box is the one rect that starts after the label.
        var colour = (string)svg.Descendants(Svg + "rect").Single(r => r.Attribute("x") is not null).Attribute("fill")!;
        return (svg.Root!.Element(Svg + "title")!.Value, colour);
    }
}
