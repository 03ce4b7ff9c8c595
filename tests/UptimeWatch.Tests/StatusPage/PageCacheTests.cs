using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>
/// The snapshot's history is cached between rollup runs; everything else on it must still be as fresh as the rows.
/// Each test loads the page once (so the history is cached), changes something, and reads the very next snapshot.
/// </summary>
public sealed class PageCacheTests
{
    private static readonly DateTimeOffset Today = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_status_change_is_in_the_next_snapshot_with_its_event_as_the_cursor()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        await app.AddMonitorAsync("Blog", slug: "blog");
        using var client = app.CreateClient();
        using (var before = await GetPageAsync(client))
        {
            Assert.Equal(("up", "up"), (Status(before, "shop"), before.RootElement.GetProperty("overall").GetString()));
        }

        var down = await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now);
        await app.UpdateMonitorAsync(shop.Id, m => (m.Status, m.ConsecutiveFailures, m.LastCheckedAt, m.LastResponseMs) =
            (MonitorStatus.Down, 3, app.Now, null));

        using var after = await GetPageAsync(client);
        Assert.Equal("down", Status(after, "shop"));
        Assert.Equal("up", Status(after, "blog"));
        Assert.Equal("degraded", after.RootElement.GetProperty("overall").GetString()); // some down, not all
        Assert.Equal(down.Id, after.RootElement.GetProperty("cursor").GetInt64());
        var shopJson = Monitor(after, "shop");
        Assert.Equal("2026-11-25T14:30:00.000Z", shopJson.GetProperty("lastCheckedAt").GetString());
        Assert.Equal(JsonValueKind.Null, shopJson.GetProperty("lastResponseMs").ValueKind);
    }

    [Fact]
    public async Task A_new_monitor_and_one_made_public_are_in_the_next_snapshot_with_their_history()
    {
        await using var app = HistoryApp.Start();
        await app.AddMonitorAsync("Shop", slug: "shop");
        var admin = await app.AddMonitorAsync("Admin", isPublic: false, slug: "admin");
        await AddDayAsync(app, admin.Id, Today.AddDays(-1), checks: 1440, failures: 0);
        using var client = app.CreateClient();
        using (var before = await GetPageAsync(client))
        {
            Assert.Equal(["shop"], Slugs(before));
        }

        var api = await app.AddMonitorAsync("API", slug: "api");
        await AddDayAsync(app, api.Id, Today, checks: 870, failures: 87);
        await app.UpdateMonitorAsync(admin.Id, m => m.IsPublic = true);

        using var after = await GetPageAsync(client);
        Assert.Equal(["admin", "api", "shop"], Slugs(after).Order());
        Assert.Equal(1440, DayChecks(Monitor(after, "admin"))[^2]);
        Assert.Equal(870, DayChecks(Monitor(after, "api"))[^1]);
        Assert.Equal(90.0, Monitor(after, "api").GetProperty("uptime").GetProperty("7d").GetDouble());
    }

    [Fact]
    public async Task A_monitor_made_private_or_archived_is_gone_from_the_next_snapshot_and_so_are_its_events()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        var billing = await app.AddMonitorAsync("Billing service", slug: "billing");
        var legacy = await app.AddMonitorAsync("Legacy portal", slug: "legacy");
        foreach (var id in new[] { shop.Id, billing.Id, legacy.Id })
        {
            await AddDayAsync(app, id, Today, checks: 100, failures: 1);
        }
        var shopEvent = await app.AddEventAsync(shop.Id, MonitorStatus.Down, MonitorStatus.Up, app.Now.AddMinutes(-10));
        using var client = app.CreateClient();
        using (var before = await GetPageAsync(client))
        {
            Assert.Equal(["billing", "legacy", "shop"], Slugs(before));
        }

        await app.UpdateMonitorAsync(billing.Id, m => m.IsPublic = false);
        await app.UpdateMonitorAsync(legacy.Id, m => m.ArchivedAt = app.Now);
        await app.AddEventAsync(billing.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now);

        var body = await client.GetStringAsync("/api/status/page");
        using var after = JsonDocument.Parse(body);
        Assert.Equal(["shop"], Slugs(after));
        Assert.DoesNotContain("Billing", body);
        Assert.DoesNotContain("Legacy", body);
        Assert.Equal(shopEvent.Id, after.RootElement.GetProperty("cursor").GetInt64());
    }

    [Fact]
    public async Task A_rollup_run_is_in_the_next_snapshot()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        using var client = app.CreateClient();
        using (var before = await GetPageAsync(client))
        {
            Assert.Equal(0, DayChecks(Monitor(before, "shop"))[^1]);
        }

        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(0, 6).Select(i =>
            (Today.AddHours(14).AddMinutes(5 * i), i == 0 ? CheckOutcome.Down : CheckOutcome.Up, (int?)100, false))]);
        await app.Rollups.RunAsync(CancellationToken.None);

        using var after = await GetPageAsync(client);
        var monitor = Monitor(after, "shop");
        Assert.Equal(6, DayChecks(monitor)[^1]);
        Assert.Equal(83.333, monitor.GetProperty("uptime").GetProperty("24h").GetDouble());
        Assert.Equal(100, monitor.GetProperty("responseTimes").GetProperty("avgMs")[23].GetInt32());
    }

    [Fact]
    public async Task When_the_hour_and_then_the_day_turn_the_next_snapshot_moves_its_chart_and_its_bars()
    {
        await using var app = HistoryApp.Start();
        await app.AddMonitorAsync("Shop", slug: "shop");
        using var client = app.CreateClient();
        using (var before = await GetPageAsync(client))
        {
            Assert.Equal("2026-11-24T15:00:00.000Z", Monitor(before, "shop").GetProperty("responseTimes").GetProperty("from").GetString());
        }

        app.Time.Advance(TimeSpan.FromHours(1));
        using var nextHour = await GetPageAsync(client);
        var points = Monitor(nextHour, "shop").GetProperty("responseTimes");
        Assert.Equal("2026-11-24T16:00:00.000Z", points.GetProperty("from").GetString());
        Assert.Equal("2026-11-25T15:30:00.000Z", nextHour.RootElement.GetProperty("generatedAt").GetString());

        app.Time.Advance(TimeSpan.FromHours(9));
        using var nextDay = await GetPageAsync(client);
        Assert.Equal("2026-08-29", Monitor(nextDay, "shop").GetProperty("days").GetProperty("from").GetString());
    }

    [Fact]
    public async Task The_snapshot_is_exactly_the_PageResponse_that_openapi_describes()
    {
        await using var app = HistoryApp.Start(settings: new() { ["UptimeWatch:StatusPage:Description"] = "Tom & Jerry's <status>" });
        var shop = await app.AddMonitorAsync("Shop \"north\" ü", group: "Web", slug: "shop");
        await app.AddMonitorAsync("Never checked", slug: "new");
        await app.UpdateMonitorAsync(shop.Id, m => m.LastResponseMs = 42);
        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(0, 7).Select(i =>
            (Today.AddDays(-i).AddHours(9), i == 2 ? CheckOutcome.Down : CheckOutcome.Up, (int?)(50 + i), i == 4))]);
        await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, Today.AddDays(-2).AddHours(9));
        await app.Rollups.RunAsync(CancellationToken.None);
        using var client = app.CreateClient();

        var body = await client.GetStringAsync("/api/status/page");

        // Read into the documented type and written back with the API's own options: byte for byte the same, so no
        // field is missing, extra, renamed or out of order.
        var json = app.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var typed = JsonSerializer.Deserialize<PageResponse>(body, json)!;
        Assert.Equal(JsonSerializer.Serialize(typed, json), body);
        Assert.Equal(2, typed.Monitors.Count);

        using var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var schema = openApi.RootElement.GetProperty("paths").GetProperty("/api/status/page").GetProperty("get")
            .GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("#/components/schemas/PageResponse", schema.GetProperty("$ref").GetString());
        var days = openApi.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("DaysDto").GetProperty("properties");
        Assert.Equal(["from", "uptime", "checks", "failures", "incidents", "maintenance"], days.EnumerateObject().Select(p => p.Name));
    }

    private static async Task<JsonDocument> GetPageAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/status/page"));

    private static List<string?> Slugs(JsonDocument page) =>
        [.. page.RootElement.GetProperty("monitors").EnumerateArray().Select(m => m.GetProperty("slug").GetString())];

    private static JsonElement Monitor(JsonDocument page, string slug) =>
        page.RootElement.GetProperty("monitors").EnumerateArray().Single(m => m.GetProperty("slug").GetString() == slug);

    private static string? Status(JsonDocument page, string slug) => Monitor(page, slug).GetProperty("status").GetString();

    private static List<int> DayChecks(JsonElement monitor) =>
        [.. monitor.GetProperty("days").GetProperty("checks").EnumerateArray().Select(c => c.GetInt32())];

    private static async Task AddDayAsync(HistoryApp app, int monitorId, DateTimeOffset day, int checks, int failures)
    {
        await using var db = app.Db();
        db.DailyRollups.Add(new Rollup { MonitorId = monitorId, Start = day, Checks = checks, Failures = failures });
        await db.SaveChangesAsync();
    }
}
