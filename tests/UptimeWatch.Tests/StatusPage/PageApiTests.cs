using System.Net;
using System.Text.Json;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>The status page's snapshot and incident log, from history written straight into the tables.</summary>
public sealed class PageApiTests
{
    private static readonly DateTimeOffset Today = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_snapshot_has_90_days_with_uptime_where_there_is_history_and_null_where_there_is_none()
    {
        await using var app = HistoryApp.Start(settings: new()
        {
            ["UptimeWatch:StatusPage:Title"] = "Acme status",
            ["UptimeWatch:StatusPage:Footer"] = "Run by Acme ops",
        });
        var shop = await app.AddMonitorAsync("Shop", group: "Web", slug: "shop");
        var admin = await app.AddMonitorAsync("Admin", isPublic: false, slug: "admin");
        // Today 13:00: 10 checks, one down, one in maintenance. Three days ago: 4 checks, all up.
        var hour = Today.AddHours(13);
        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(0, 10).Select(i => (hour.AddMinutes(5 * i),
            i == 3 ? CheckOutcome.Down : CheckOutcome.Up, (int?)(100 + i), i == 7))]);
        await app.AddChecksAsync(shop.Id, [.. Enumerable.Range(0, 4).Select(i => (Today.AddDays(-3).AddHours(10 + i), CheckOutcome.Up, (int?)50, false))]);
        await app.AddChecksAsync(admin.Id, (hour, CheckOutcome.Down, null, false));
        var lastPublic = await app.AddEventAsync(shop.Id, MonitorStatus.Down, MonitorStatus.Up, hour.AddMinutes(20));
        await app.AddEventAsync(admin.Id, MonitorStatus.Up, MonitorStatus.Down, hour.AddMinutes(21));
        await app.Rollups.RunAsync(CancellationToken.None);

        using var client = app.CreateClient();
        using var page = JsonDocument.Parse(await client.GetStringAsync("/api/status/page"));
        var root = page.RootElement;

        Assert.Equal("Acme status", root.GetProperty("title").GetString());
        Assert.Equal("Run by Acme ops", root.GetProperty("footer").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("logoUrl").ValueKind);
        Assert.Equal("up", root.GetProperty("overall").GetString());
        Assert.Equal(lastPublic.Id, root.GetProperty("cursor").GetInt64());
        Assert.Equal("2026-11-25T14:30:00.000Z", root.GetProperty("generatedAt").GetString());
        var monitor = Assert.Single(root.GetProperty("monitors").EnumerateArray());
        Assert.Equal(("shop", "Shop", "Web", "http", "up"), (monitor.GetProperty("slug").GetString(), monitor.GetProperty("name").GetString(),
            monitor.GetProperty("group").GetString(), monitor.GetProperty("type").GetString(), monitor.GetProperty("status").GetString()));
        Assert.Equal(123, monitor.GetProperty("lastResponseMs").GetInt32());

        var uptime = monitor.GetProperty("uptime");
        Assert.Equal(88.888, uptime.GetProperty("24h").GetDouble()); // 8 up of 9 counted: maintenance is neither
        Assert.Equal(92.307, uptime.GetProperty("7d").GetDouble());  // 12 of 13
        Assert.Equal(92.307, uptime.GetProperty("90d").GetDouble());

        // The 90 days and 24 hours come as columns, oldest first, from a given day and hour.
        var days = monitor.GetProperty("days");
        Assert.Equal(DateOnly.FromDateTime(Today.UtcDateTime).AddDays(-89).ToString("yyyy-MM-dd"), days.GetProperty("from").GetString());
        var (uptimes, checks, failures, maintenance) = (Column(days, "uptime"), Ints(days, "checks"), Ints(days, "failures"), Ints(days, "maintenance"));
        Assert.All(new[] { uptimes.Count, checks.Count, failures.Count, maintenance.Count, Ints(days, "incidents").Count }, n => Assert.Equal(90, n));
        Assert.Equal((88.888, 10, 1, 1), (uptimes[^1].GetDouble(), checks[^1], failures[^1], maintenance[^1]));
        Assert.Equal((100.0, 4), (uptimes[^4].GetDouble(), checks[^4]));
        Assert.Equal(88, Enumerable.Range(0, 90).Count(i => uptimes[i].ValueKind == JsonValueKind.Null && checks[i] == 0));

        var points = monitor.GetProperty("responseTimes");
        Assert.Equal("2026-11-24T15:00:00.000Z", points.GetProperty("from").GetString());
        var (avg, p95, max) = (Column(points, "avgMs"), Column(points, "p95Ms"), Column(points, "maxMs"));
        Assert.All(new[] { avg.Count, p95.Count, max.Count }, n => Assert.Equal(24, n));
        // 13:00 is the 23rd hour from 15:00 yesterday. Up checks only (the down one at 103 ms is left out): 100..109 without 103.
        Assert.Equal((105, 109, 109), (avg[22].GetInt32(), p95[22].GetInt32(), max[22].GetInt32()));
        Assert.Equal(JsonValueKind.Null, avg[0].ValueKind);
    }

    [Fact]
    public async Task A_year_of_history_for_100_monitors_answers_with_the_same_shape()
    {
        await using var app = HistoryApp.Start();
        var ids = new List<int>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add((await app.AddMonitorAsync($"Service {i:000}", group: $"Group {i % 5}", slug: $"service-{i:000}")).Id);
        }
        await using (var db = app.Db())
        {
            // Every monitor checked once a minute for a year, failing i % 3 times a day.
            foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            {
                db.DailyRollups.AddRange(Enumerable.Range(0, 365).Select(d => new Rollup
                {
                    MonitorId = id, Start = Today.AddDays(-d), Checks = 1440, Failures = i % 3, TimedChecks = 1440, SumMs = 1440 * 80, MinMs = 20, MaxMs = 900, P95Ms = 150,
                }));
                db.HourlyRollups.AddRange(Enumerable.Range(0, 24).Select(h => new Rollup
                {
                    MonitorId = id, Start = Today.AddHours(14 - h), Checks = 60, Failures = 0, TimedChecks = 60, SumMs = 60 * 80, MinMs = 20, MaxMs = 300, P95Ms = 150,
                }));
            }
            await db.SaveChangesAsync();
        }

        using var client = app.CreateClient();
        using var page = JsonDocument.Parse(await client.GetStringAsync("/api/status/page"));

        var monitors = page.RootElement.GetProperty("monitors").EnumerateArray().ToList();
        Assert.Equal(100, monitors.Count);
        Assert.All(monitors, m =>
        {
            Assert.Equal(Enumerable.Repeat(1440, 90), Ints(m.GetProperty("days"), "checks"));
            Assert.Equal(24, Column(m.GetProperty("responseTimes"), "avgMs").Count);
            Assert.Equal(100, m.GetProperty("uptime").GetProperty("24h").GetDouble());
        });
        var twoFailuresADay = monitors.Single(m => m.GetProperty("slug").GetString() == "service-002");
        Assert.Equal(99.861, twoFailuresADay.GetProperty("uptime").GetProperty("90d").GetDouble()); // 1438/1440
        Assert.Equal(99.861, twoFailuresADay.GetProperty("uptime").GetProperty("30d").GetDouble());
        Assert.Equal(80, Column(twoFailuresADay.GetProperty("responseTimes"), "avgMs")[23].GetInt32());
    }

    [Fact]
    public async Task Incidents_come_newest_first_grouped_by_day_in_pages_and_only_for_public_monitors()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        var admin = await app.AddMonitorAsync("Admin", isPublic: false, slug: "admin");
        // 25 public changes, five a day over five days, with private ones in between. They are told apart by id: the
        // public sees a reason's category, not its text, so the text cannot label them.
        var changes = new List<long>();
        for (var i = 0; i < 25; i++)
        {
            var at = Today.AddDays(-4 + i / 5).AddHours(1 + i % 5);
            changes.Add((await app.AddEventAsync(shop.Id, i % 2 == 0 ? MonitorStatus.Up : MonitorStatus.Down,
                i % 2 == 0 ? MonitorStatus.Down : MonitorStatus.Up, at, $"change {i}")).Id);
            await app.AddEventAsync(admin.Id, MonitorStatus.Up, MonitorStatus.Down, at);
        }
        using var client = app.CreateClient();

        using var first = JsonDocument.Parse(await client.GetStringAsync("/api/incidents?pageSize=7"));
        var days = first.RootElement.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(["2026-11-25", "2026-11-24"], days.Select(d => d.GetProperty("date").GetString()));
        var events = days.SelectMany(d => d.GetProperty("events").EnumerateArray()).ToList();
        Assert.Equal(Enumerable.Range(18, 7).Reverse().Select(i => changes[i]), events.Select(e => e.GetProperty("id").GetInt64()));
        Assert.All(events, e => Assert.Equal("shop", e.GetProperty("monitor").GetString()));
        // Rows without a category (stored as these are) show the public only their new status.
        Assert.All(events, e => Assert.Equal(e.GetProperty("to").GetString(), e.GetProperty("reason").GetString()));
        Assert.Equal(("up", "down"), (events[0].GetProperty("from").GetString(), events[0].GetProperty("to").GetString()));
        Assert.True(first.RootElement.GetProperty("hasMore").GetBoolean());
        Assert.Equal((1, 7), (first.RootElement.GetProperty("page").GetInt32(), first.RootElement.GetProperty("pageSize").GetInt32()));

        using var last = JsonDocument.Parse(await client.GetStringAsync("/api/incidents?page=4&pageSize=7"));
        var lastEvents = last.RootElement.GetProperty("days").EnumerateArray().SelectMany(d => d.GetProperty("events").EnumerateArray()).ToList();
        Assert.Equal([changes[3], changes[2], changes[1], changes[0]], lastEvents.Select(e => e.GetProperty("id").GetInt64()));
        Assert.False(last.RootElement.GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public async Task Paging_incidents_by_before_returns_each_exactly_once_in_order_while_new_ones_are_inserted()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        var admin = await app.AddMonitorAsync("Admin", isPublic: false, slug: "admin");
        var existing = new List<long>();
        for (var i = 0; i < 45; i++)
        {
            existing.Add((await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now.AddMinutes(-100 + i), $"old {i}")).Id);
            await app.AddEventAsync(admin.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now.AddMinutes(-100 + i));
        }
        using var client = app.CreateClient();

        var seen = new List<long>();
        var url = "/api/incidents?pageSize=10";
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 10, "paging did not end");
            using var body = JsonDocument.Parse(await client.GetStringAsync(url));
            seen.AddRange(body.RootElement.GetProperty("days").EnumerateArray()
                .SelectMany(d => d.GetProperty("events").EnumerateArray()).Select(e => e.GetProperty("id").GetInt64()));
            // New changes between pages land on top of the log; they must neither shift nor repeat what follows.
            await app.AddEventAsync(shop.Id, MonitorStatus.Down, MonitorStatus.Up, app.Now, "new");
            if (!body.RootElement.GetProperty("hasMore").GetBoolean())
            {
                Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("nextBefore").ValueKind);
                break;
            }
            url = $"/api/incidents?pageSize=10&before={body.RootElement.GetProperty("nextBefore").GetInt64()}";
        }

        existing.Reverse();
        Assert.Equal(existing, seen);
    }

    [Fact]
    public async Task Deep_page_numbers_are_refused_naming_the_parameter_and_the_first_pages_still_work()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop", slug: "shop");
        for (var i = 0; i < 30; i++)
        {
            await app.AddEventAsync(shop.Id, MonitorStatus.Up, MonitorStatus.Down, app.Now.AddMinutes(-100 + i), $"change {i}");
        }
        using var client = app.CreateClient();

        using var second = JsonDocument.Parse(await client.GetStringAsync("/api/incidents?page=2&pageSize=20"));
        Assert.Equal(10, second.RootElement.GetProperty("days").EnumerateArray().Sum(d => d.GetProperty("events").GetArrayLength()));

        var deep = await client.GetAsync($"/api/incidents?page={PageApi.MaxPage}&pageSize=20");
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        using var problem = JsonDocument.Parse(await deep.Content.ReadAsStringAsync());
        Assert.StartsWith($"page \"{PageApi.MaxPage}\" ", problem.RootElement.GetProperty("error").GetString());
        Assert.Contains("before", problem.RootElement.GetProperty("error").GetString());
        Assert.True(problem.RootElement.GetProperty("fields").TryGetProperty("page", out _));
    }

    [Theory]
    [InlineData("/api/incidents?pageSize=0", "pageSize \"0\" must be from 1 to 100")]
    [InlineData("/api/incidents?pageSize=101", "pageSize \"101\" must be from 1 to 100")]
    [InlineData("/api/incidents?page=0", "page \"0\" must be from 1 to 10000")]
    public async Task Bad_incident_paging_gets_an_error_naming_the_parameter_and_value(string url, string error)
    {
        await using var app = HistoryApp.Start();
        using var client = app.CreateClient();

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(error, problem.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_page_and_the_incidents_are_described_in_openapi()
    {
        await using var app = HistoryApp.Start();
        using var client = app.CreateClient();

        var openApi = await client.GetStringAsync("/openapi/v1.json");

        Assert.Contains("\"/api/status/page\"", openApi);
        Assert.Contains("\"/api/incidents\"", openApi);
        Assert.Contains("\"/badge/{slug}/uptime.svg\"", openApi);
    }

    private static List<JsonElement> Column(JsonElement parent, string name) => [.. parent.GetProperty(name).EnumerateArray()];

    private static List<int> Ints(JsonElement parent, string name) => [.. Column(parent, name).Select(e => e.GetInt32())];
}
