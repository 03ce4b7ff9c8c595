using System.Text.Json;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>
/// <c>/api/status</c> shares its 24 h uptime aggregate between requests; the status beside it must still be as fresh
/// as the rows, and the percentage must stay the share of working checks as checks keep coming and old ones age out.
/// </summary>
public sealed class StatusCacheTests
{
    [Fact]
    public async Task A_status_change_is_in_the_very_next_status_response()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        await app.AddMonitorAsync("Blog", slug: "blog");
        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(1, 10).Select(i => (app.Now.AddMinutes(-i), CheckOutcome.Up, (int?)50, false))]);
        using var client = app.CreateClient();
        using (var before = await GetStatusAsync(client))
        {
            Assert.Equal(("up", "up", 100.0), (Status(before, "shop"), Overall(before), Monitor(before, "shop").GetProperty("uptime24h").GetDouble()));
        }

        await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now);
        await app.UpdateMonitorAsync(shop.Id, m => (m.Status, m.ConsecutiveFailures, m.LastCheckedAt, m.LastResponseMs) =
            (MonitorStatus.Down, 3, app.Now, null));

        using var after = await GetStatusAsync(client);
        Assert.Equal(("down", "up", "degraded"), (Status(after, "shop"), Status(after, "blog"), Overall(after)));
        Assert.Equal(app.Now, Monitor(after, "shop").GetProperty("lastCheckedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, Monitor(after, "shop").GetProperty("lastResponseMs").ValueKind);
    }

    [Fact]
    public async Task The_uptime_stays_the_share_of_working_checks_of_the_last_24_hours_as_checks_keep_coming_and_age_out()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        var fresh = await app.AddMonitorAsync("Fresh", slug: "fresh");
        var all = new List<(DateTimeOffset At, CheckOutcome Outcome, int? Ms, bool Maintenance)>();
        using var client = app.CreateClient();

        // Six rounds of five hours: checks every 30 s with a failure now and then, a maintenance check and a missed
        // slot that count for neither side; after the fifth round the first ones are more than 24 h old.
        for (var round = 0; round < 6; round++)
        {
            var checks = Enumerable.Range(0, 600)
                .Select(i => (At: app.Now.AddSeconds(-30 * i), Outcome: (i + round) % (7 + round) == 0 ? CheckOutcome.Down : CheckOutcome.Up,
                    Ms: (int?)40, Maintenance: i % 97 == 0))
                .Append((app.Now.AddSeconds(-15), CheckOutcome.Missed, null, false))
                .ToList();
            await app.AddChecksAsync(shop.Id, [.. checks]);
            all.AddRange(checks);
            app.Time.Advance(TimeSpan.FromHours(5));

            using var status = await GetStatusAsync(client);
            var counted = all.Where(c => c.At >= app.Now.AddHours(-24) && c.Outcome != CheckOutcome.Missed && !c.Maintenance).ToList();
            Assert.Equal(Math.Round(100.0 * counted.Count(c => c.Outcome != CheckOutcome.Down) / counted.Count, 3),
                Monitor(status, "shop").GetProperty("uptime24h").GetDouble());
            Assert.Equal(JsonValueKind.Null, Monitor(status, "fresh").GetProperty("uptime24h").ValueKind);
        }

        // A monitor's first checks, after the cached value said it had none.
        await app.AddChecksAsync(fresh.Id, (app.Now.AddMinutes(-2), CheckOutcome.Down, null, false), (app.Now.AddMinutes(-1), CheckOutcome.Up, 30, false));
        app.Time.Advance(TimeSpan.FromMinutes(1)); // past StatusUptimeCache.MaxAge
        using var last = await GetStatusAsync(client);
        Assert.Equal(50.0, Monitor(last, "fresh").GetProperty("uptime24h").GetDouble());
    }

    private static async Task<JsonDocument> GetStatusAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/status"));

    private static string? Overall(JsonDocument status) => status.RootElement.GetProperty("overall").GetString();

    private static JsonElement Monitor(JsonDocument status, string slug) =>
        status.RootElement.GetProperty("monitors").EnumerateArray().Single(m => m.GetProperty("slug").GetString() == slug);

    private static string? Status(JsonDocument status, string slug) => Monitor(status, slug).GetProperty("status").GetString();
}
