using System.Net.Http.Json;

namespace UptimeWatch.Tests.Storage;

/// <summary><c>Storage:Provider = PostgreSQL</c>: the same app, its data in a real PostgreSQL 15 server.</summary>
public sealed class PostgresProviderTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private TargetServer _target = null!;
    private readonly string _data = TestPaths.NewTempDirectory();

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task On_PostgreSQL_UptimeWatch_migrates_checks_and_shows_the_result_in_status_and_events()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var app = new UptimeWatchApp(_data, [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)],
            new() { ["UptimeWatch:Storage:Provider"] = "PostgreSQL", ["UptimeWatch:Storage:ConnectionString"] = connectionString });
        app.StartKestrel();
        using var client = app.KestrelClient();

        var status = await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("api/status")!, s => s!.Monitors.Any(m => m is { Slug: "shop", Status: "up" }),
            what: "shop to be up on PostgreSQL");
        var events = (await client.GetFromJsonAsync<EventsDto>("api/events?after=0"))!.Events;

        Assert.NotNull(Assert.Single(status!.Monitors).LastCheckedAt);
        var up = Assert.Single(events);
        Assert.Equal(("shop", "unknown", "up"), (up.Monitor, up.From, up.To));
        // The rows are in PostgreSQL, migrated by its own migrations; no SQLite file (or lock) was made in the data folder.
        Assert.True(await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM \"__EFMigrationsHistory\"") >= 1);
        Assert.True(await PostgresServer.ScalarAsync<long>(connectionString, "SELECT count(*) FROM check_results") >= 1);
        Assert.False(File.Exists(app.DatabasePath), "no SQLite database on the PostgreSQL provider");
    }
}
