using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// Commits failing on a full disk, by the writer's clock: degraded at first, 503 and a console banner once they have
/// failed for <c>Storage:UnhealthyAfterSeconds</c> (10 s by default), retries never more than 2 s apart, and healthy
/// again with the first commit after space returns.
/// </summary>
public sealed class StorageHealthTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task Failing_commits_turn_healthz_503_after_ten_seconds_tell_the_console_and_resume_within_two_seconds_of_space_returning()
    {
        await using var disk = await Tmpfs.MountAsync();
        // Only the writer's clock is fake: the scheduler keeps real time, so checks go on and keep trying to write.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new UptimeWatchApp(disk.Path,
            [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)],
            // SQLite only, whatever UW_TEST_PROVIDER says: what fills up is the disk under the SQLite file (a PostgreSQL
            // server's disk is not the app's data folder).
            TestStorage.SqliteOnly(new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "0" }))
        {
            TestServices = services => services.AddSingleton(provider => ActivatorUtilities.CreateInstance<JournalWriter>(provider, clock)),
        };
        var writer = app.Services.GetRequiredService<JournalWriter>();
        using var client = app.CreateClient();
        await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("/api/status"), s => s!.Monitors.Single().Status == "up",
            TimeSpan.FromSeconds(30), "shop to be stored as up");
        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        Assert.Equal("ok", (await socket.CommandAsync("subscribe")).Type());
        var before = (await socket.CommandAsync("storage.status")).GetProperty("payload");
        var failedFrom = clock.GetUtcNow();

        await disk.FillAsync();
        var degraded = await Eventually.Until(() => HealthAsync(client), h => Storage(h).Status == "degraded", TimeSpan.FromSeconds(30),
            "the storage check to see a failed commit");
        clock.Advance(TimeSpan.FromSeconds(9.9));
        var stillUp = await HealthAsync(client);
        await AttemptsAsync(writer, 2);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var down = await HealthAsync(client);
        // The first attempt after the threshold tells the console.
        clock.Advance(JournalWriter.MaxRetryDelay);
        var banner = (await socket.NextPushAsync("storage")).GetProperty("payload");
        var onLoad = (await socket.CommandAsync("storage.status")).GetProperty("payload");
        using var console = await app.SignedInAsync();
        var rest = await console.GetFromJsonAsync<JsonElement>("/api/admin/storage");
        // However long it fails, the next attempt is never more than 2 s away.
        for (var i = 0; i < 5; i++)
        {
            var attempts = writer.CurrentFailure!.Attempts;
            clock.Advance(JournalWriter.MaxRetryDelay);
            await AttemptsAsync(writer, attempts + 1);
        }
        var stored = (await client.GetFromJsonAsync<ChecksDto>("/api/monitors/shop/checks?limit=1000"))!.Checks.Count;
        disk.Free();
        clock.Advance(JournalWriter.MaxRetryDelay);
        var up = await Eventually.Until(() => HealthAsync(client), h => h.Code == HttpStatusCode.OK && Storage(h).Status == "healthy",
            TimeSpan.FromSeconds(20), "/healthz to be healthy again");
        var cleared = (await socket.NextPushAsync("storage")).GetProperty("payload");
        var after = await Eventually.Until(async () => (await client.GetFromJsonAsync<ChecksDto>("/api/monitors/shop/checks?limit=1000"))!.Checks.Count,
            n => n > stored, TimeSpan.FromSeconds(20), "the checks made meanwhile to be stored");

        Assert.False(before.GetProperty("failing").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, degraded.Code);
        Assert.Equal((HttpStatusCode.OK, "degraded"), (stillUp.Code, Storage(stillUp).Status));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unhealthy"), (down.Code, Storage(down).Status));
        var since = failedFrom.UtcDateTime;
        Assert.Matches(@"^writes failing since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: SQLite Error 13: 'database or disk is full'", Storage(down).Description);
        Assert.StartsWith($"writes failing since {since:yyyy-MM-dd'T'HH:mm:ss'Z'}", Storage(down).Description);
        foreach (var status in new[] { banner, onLoad, rest })
        {
            Assert.True(status.GetProperty("failing").GetBoolean());
            // The console's JSON carries milliseconds.
            Assert.InRange(status.GetProperty("since").GetDateTimeOffset() - failedFrom, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
            Assert.Contains("full", status.GetProperty("error").GetString());
        }
        Assert.False(cleared.GetProperty("failing").GetBoolean());
        Assert.Null(writer.CurrentFailure);
        Assert.True(after > stored);
    }

    /// <summary>Waits for the writer's attempt number <paramref name="count"/>; the wait before the next one is then already running.</summary>
    private static Task<int> AttemptsAsync(JournalWriter writer, int count) =>
        Eventually.Until(() => Task.FromResult(writer.CurrentFailure?.Attempts ?? 0), n => n >= count, TimeSpan.FromSeconds(20),
            $"failed attempt {count} (attempts are at most {JournalWriter.MaxRetryDelay.TotalSeconds} s apart)");

    private static (string Status, string Description) Storage((HttpStatusCode Code, JsonElement Body) health) =>
        health.Body.GetProperty("checks").TryGetProperty("storage", out var storage)
            ? (storage.GetProperty("status").GetString()!, storage.GetProperty("description").GetString()!)
            : ("absent", "");

    private static async Task<(HttpStatusCode Code, JsonElement Body)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/healthz");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
