using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Monitoring;

/// <summary>
/// Flapping is a flag beside the status, through a running app: the status keeps following the checks while every
/// surface that shows a monitor (public REST, page snapshot, SSE, long poll, admin REST and WebSocket) carries the flag.
/// </summary>
public sealed class FlappingTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task A_flapping_monitor_keeps_its_real_status_and_shows_the_flapping_flag_on_every_surface()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [UptimeWatchApp.Monitor("Flappy", _target.Url("/health"), failureThreshold: 1)]);
        await app.WaitForStatusAsync("flappy", "up");
        using var console = await app.SignedInAsync();

        // Kept flapping while the surfaces are read, so the flag stays set throughout: every check sees the opposite
        // of the one before (driven by the checks, not a clock).
        using var alternating = _target.Alternate();
        var status = await Eventually.Until(app.StatusAsync, s => s.Monitors.Single().Flapping, TimeSpan.FromSeconds(40), "flappy to be flapping");
        var events = await Eventually.Until(() => app.EventsAsync(), e => e.Count(x => x.Flapping && x.To is "up" or "down") >= 3,
            TimeSpan.FromSeconds(30), "status changes while flapping");

        // Public REST: the status is up, down or pending (never "flapping"), the flag beside it.
        Assert.Contains(status.Monitors.Single().Status, new[] { "up", "down", "pending" });
        Assert.DoesNotContain(events, e => e.To == "flapping" || e.From == "flapping");
        var started = Assert.Single(events, e => e.Flapping && events.TakeWhile(x => x.Id < e.Id).LastOrDefault() is { Flapping: false });
        Assert.StartsWith("flapping: ", await app.AdminReasonAsync(started));
        // Status changes go on being logged while it flaps: the status follows the checks.
        Assert.True(events.Count(e => e.Id > started.Id && e.From != e.To) >= 2, string.Join("\n", events));

        using var client = app.CreateClient();
        var page = (await client.GetFromJsonAsync<JsonObject>("/api/status/page"))!;
        Assert.True(page["monitors"]![0]!["flapping"]!.GetValue<bool>(), page.ToJsonString());

        var poll = (await client.GetFromJsonAsync<JsonObject>("/api/live/poll?after=0&timeout=0"))!;
        Assert.Contains(poll["events"]!.AsArray(), e => e!["id"]!.GetValue<long>() == started.Id && e["flapping"]!.GetValue<bool>());

        var sse = await FirstSseStatusAsync(client, started.Id);
        Assert.True(sse.GetProperty("flapping").GetBoolean(), sse.ToString());

        var monitor = (await console.GetFromJsonAsync<JsonObject>("/api/admin/monitors/flappy"))!;
        Assert.True(monitor["flapping"]!.GetValue<bool>(), monitor.ToJsonString());
        Assert.NotEqual("flapping", monitor["status"]!.GetValue<string>());

        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        Assert.Equal("ok", (await socket.CommandAsync("subscribe", new { after = started.Id - 1 })).Type());
        var pushed = await socket.NextPushAsync(p => p.Type() == "status" && p.GetProperty("seq").GetInt64() == started.Id, "the flapping status push");
        Assert.True(pushed.GetProperty("payload").GetProperty("flapping").GetBoolean(), pushed.ToString());
        var listed = await socket.CommandAsync("monitors.list");
        Assert.Contains(listed.GetProperty("payload").GetProperty("monitors").EnumerateArray(), m => m.GetProperty("flapping").GetBoolean());
    }

    /// <summary>The replayed SSE <c>status</c> event with id <paramref name="id"/>, read from the stream resumed just before it.</summary>
    private static async Task<JsonElement> FirstSseStatusAsync(HttpClient client, long id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        request.Headers.Add("Last-Event-ID", (id - 1).ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = await SseReader.OpenAsync(response);
        var frame = await sse.NextMatchingAsync(f => f.Event == "status" && f.Id == id.ToString(), $"the replayed SSE status event {id}");
        return frame.Json();
    }
}
