using System.Net.Http.Json;
using UptimeWatch.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>Push monitors and heartbeats the way a cron job sends them, for the push end-to-end tests.</summary>
internal static class PushTesting
{
    public const string Token = "nightly-backup-0123456789abcdef";

    /// <summary>A push monitor with short, test-friendly timing; the defaults a user gets otherwise.</summary>
    public static Dictionary<string, string?> Monitor(string name = "Nightly backup", string token = Token, int intervalSeconds = 2,
        int graceSeconds = 1, int? failureThreshold = 1) => new()
    {
        ["Name"] = name,
        ["Type"] = "push",
        ["IntervalSeconds"] = intervalSeconds.ToString(),
        ["GraceSeconds"] = graceSeconds.ToString(),
        ["PushToken"] = token,
        ["FailureThreshold"] = failureThreshold?.ToString(),
    };

    /// <summary>
    /// A clock for <see cref="OnClock"/>, years away from the machine's: a deadline judged by the real clock instead of the
    /// injected one would be wildly off, not off by the few seconds a test takes. Ahead, not behind: the test's HTTP client
    /// drops a session cookie whose expiry (set on this clock) is already past on the real one.
    /// </summary>
    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2031, 3, 2, 9, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// The app on a clock only the test moves. Heartbeat deadlines, the scheduler's slots (Quartz runs on the container's
    /// TimeProvider) and every stored time follow it, so a test says exactly how much time passes, however loaded the
    /// machine is, and a reason's seconds are exact. No write window: a routine result (a first missed heartbeat) is
    /// stored at once rather than when the clock next moves.
    /// </summary>
    public static UptimeWatchApp OnClock(string dataDirectory, FakeTimeProvider clock, params Dictionary<string, string?>[] monitors) =>
        new(dataDirectory, monitors, new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "0" })
        {
            TestServices = services => services.AddSingleton<TimeProvider>(clock),
        };

    /// <summary>
    /// Runs the monitor's scheduled look at once ("check now") and returns what it found: the same job as a slot, answered
    /// when it is done. On a still clock this is how a test learns that nothing is overdue yet. A test also looks before it
    /// moves the clock past a deadline: a look that finds the heartbeat on time is what arms the re-check at the deadline,
    /// and its answer proves the scheduler is running. (A repeating slot the clock jumps far past is skipped, as a late slot
    /// is in production; the one-off re-check fires however late.)
    /// </summary>
    public static async Task<CheckNowReply> CheckNowAsync(HttpClient admin, string slug = "nightly-backup")
    {
        using var response = await admin.PostAsync($"/api/admin/monitors/{slug}/check", null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CheckNowReply>())!;
    }

    public static async Task<HttpResponseMessage> SendAsync(UptimeWatchApp app, string query = "", string token = Token, bool post = false)
    {
        using var client = app.CreateClient();
        var url = $"/api/push/{token}{query}";
        return post ? await client.PostAsync(url, null) : await client.GetAsync(url);
    }

    public static async Task<PushReply> HeartbeatAsync(UptimeWatchApp app, string query = "", string token = Token, bool post = false)
    {
        using var response = await SendAsync(app, query, token, post);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<PushReply>())!;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> checks are stored. A 200 means the heartbeat is queued for the database;
    /// the writer commits in order, so once a later heartbeat shows, every earlier one would have too.
    /// </summary>
    public static Task<IReadOnlyList<CheckDto>> WaitForChecksAsync(UptimeWatchApp app, int count, string slug = "nightly-backup") =>
        Eventually.Until(() => app.ChecksAsync(slug), c => c.Count >= count, TimeSpan.FromSeconds(10), $"{count} checks of {slug}");

    /// <summary>Sets a monitor's stored status between runs, as the console's pause will.</summary>
    public static void SetStoredStatus(string dataDirectory, string slug, string status)
    {
        using var db = TestStorage.OpenDatabase(dataDirectory);
        var monitor = db.Monitors.SingleOrDefault(m => m.Slug == slug)
            ?? throw new InvalidOperationException($"No monitor {slug} in {dataDirectory}");
        monitor.Status = Enum.Parse<MonitorStatus>(status);
        db.SaveChanges();
    }
}

internal sealed record PushReply(bool Ok, string Monitor, string Status);

internal sealed record CheckNowReply(string Outcome, string? Error, bool Recorded, string Status);

internal sealed record Problem(string Error, Dictionary<string, string>? Fields);
