using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

/// <summary>
/// The app with no configured monitors, on a real migrated SQLite file and a fake clock, so history can be
/// written straight into the tables as if it had been recorded over days or a year.
/// </summary>
internal sealed class HistoryApp : IAsyncDisposable
{
    private readonly UptimeWatchApp _app;
    private readonly WebApplicationFactory<Program> _factory;

    private HistoryApp(DateTimeOffset now, Dictionary<string, string?>? settings)
    {
        Time = new FakeTimeProvider(now);
        _app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], settings);
        _factory = _app.WithWebHostBuilder(web => web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time)));
    }

    /// <summary>A Wednesday afternoon, so "today" is partly over and hours and days have clear boundaries.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 25, 14, 30, 0, TimeSpan.Zero);

    public static HistoryApp Start(DateTimeOffset? now = null, Dictionary<string, string?>? settings = null)
    {
        var app = new HistoryApp(now ?? DefaultNow, settings);
        _ = app._factory.Services; // starts the host: migrations run
        return app;
    }

    public FakeTimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    public RollupService Rollups => _factory.Services.GetRequiredService<RollupService>();

    public IServiceProvider Services => _factory.Services;

    public HttpClient CreateClient() => _factory.CreateClient();

    public UptimeWatchDbContext Db() => _factory.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContext();

    public async Task<MonitorEntity> AddMonitorAsync(string name, bool isPublic = true, MonitorStatus status = MonitorStatus.Up,
        string? group = null, int consecutiveFailures = 0, string? slug = null)
    {
        await using var db = Db();
        var monitor = new MonitorEntity
        {
            Slug = slug ?? Guid.NewGuid().ToString("n"), Name = name, Group = group, Type = "http", Target = "https://example.test/",
            IntervalSeconds = 60, IsPublic = isPublic, Definition = "{}", Source = "test", CreatedAt = Now, UpdatedAt = Now,
            Status = status, BaseStatus = status, ConsecutiveFailures = consecutiveFailures, LastCheckedAt = Now.AddSeconds(-20), LastResponseMs = 123,
        };
        db.Monitors.Add(monitor);
        await db.SaveChangesAsync();
        return monitor;
    }

    /// <summary>Changes a monitor's row as the state machine or the admin console would.</summary>
    public async Task UpdateMonitorAsync(int monitorId, Action<MonitorEntity> change)
    {
        await using var db = Db();
        var monitor = await db.Monitors.SingleAsync(m => m.Id == monitorId);
        change(monitor);
        await db.SaveChangesAsync();
    }

    public async Task AddChecksAsync(int monitorId, params (DateTimeOffset At, CheckOutcome Outcome, int? Ms, bool Maintenance)[] checks)
    {
        await using var db = Db();
        db.CheckResults.AddRange(checks.Select(c => new CheckResult
        {
            MonitorId = monitorId, At = c.At, Outcome = c.Outcome, ResponseMs = c.Ms, InMaintenance = c.Maintenance,
        }));
        await db.SaveChangesAsync();
    }

    public async Task<StatusEvent> AddEventAsync(int monitorId, MonitorStatus from, MonitorStatus to, DateTimeOffset at, string reason = "test")
    {
        await using var db = Db();
        var e = new StatusEvent { MonitorId = monitorId, From = from, To = to, At = at, Reason = reason };
        db.StatusEvents.Add(e);
        await db.SaveChangesAsync();
        return e;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _app.DisposeAsync();
    }
}
