using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Live;
using UptimeWatch.Storage;
using UptimeWatch.Journal;
using EventDto = UptimeWatch.Testing.EventDto;

namespace UptimeWatch.Tests.Live;

/// <summary>The public live transports through HTTP: SSE framing, resume by id, heartbeats, long polling, limits.</summary>
public sealed class LiveApiTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private readonly string _data = TestPaths.NewTempDirectory();

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private UptimeWatchApp App(Dictionary<string, string?>? settings = null) =>
        new(_data, [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)], settings);

    private static async Task<(HttpResponseMessage Response, SseReader Reader)> OpenAsync(HttpClient client, string url, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString());
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (response, new SseReader(await response.Content.ReadAsStreamAsync()));
    }

    [Fact]
    public async Task A_status_change_arrives_as_an_sse_event_with_the_event_log_id_and_the_same_json_as_the_api()
    {
        await using var app = App();
        using var client = app.CreateClient();
        // From the start of the log: on a loaded machine the first change may commit before the stream is open.
        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: 0);
        using var _ = response;
        using var __ = sse;

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Equal("3000", (await sse.NextMatchingAsync(_ => true, "the first frame")).Retry);

        var frame = await sse.NextEventAsync("status");
        var logged = Assert.Single(await app.EventsAsync());
        Assert.Equal(logged.Id.ToString(), frame.Id);
        Assert.Equal(JsonSerializer.Serialize(logged, JsonOptions), JsonSerializer.Serialize(JsonSerializer.Deserialize<EventDto>(frame.Data!, JsonOptions), JsonOptions));
        Assert.Equal(("unknown", "up"), (logged.From, logged.To));

        var checks = await sse.NextEventAsync("checks");
        Assert.Null(checks.Id);
        Assert.Contains("\"monitor\":\"shop\"", checks.Data!);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_reconnect_with_last_event_id_replays_what_it_missed_then_continues_live_without_repeats()
    {
        await using var app = App();
        await app.WaitForStatusAsync("shop", "up");
        _target.Healthy = false;
        await app.WaitForStatusAsync("shop", "down");
        var before = await app.EventsAsync();
        Assert.Equal(2, before.Count);

        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: before[0].Id);
        using var _ = response;
        using var __ = sse;

        // Replayed from the database: only what came after the id.
        Assert.Equal(before[1].Id.ToString(), (await sse.NextEventAsync("status")).Id);

        // A commit racing with the replay may be queued live as well: it must not come twice.
        var hub = app.Services.GetRequiredService<EventHub>();
        hub.Publish([new LiveEvent(before[1].Id, "status", true, "{}"u8.ToArray(), Encoding.UTF8.GetBytes($"id: {before[1].Id}\nevent: status\ndata: {{}}\n\n"))]);

        _target.Healthy = true;
        var live = await sse.NextEventAsync("status");
        var after = await app.EventsAsync(after: before[1].Id);
        Assert.Equal(after[0].Id.ToString(), live.Id);
        Assert.Contains("\"to\":\"up\"", live.Data!);
    }

    [Fact]
    public async Task Last_event_id_can_come_in_the_query_and_an_id_from_another_history_gets_a_reset()
    {
        await using var app = App();
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();

        var (response, sse) = await OpenAsync(client, "/api/live/events?lastEventId=999999");
        using var _ = response;
        using var __ = sse;

        var reset = await sse.NextEventAsync("reset");
        Assert.Contains("reload", reset.Data!);
    }

    [Fact]
    public async Task An_idle_stream_gets_a_keepalive_comment()
    {
        await using var app = App(new() { ["UptimeWatch:Live:HeartbeatSeconds"] = "1" });
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events");
        using var _ = response;
        using var __ = sse;

        var comment = await sse.NextCommentAsync();

        Assert.Equal("keepalive", comment);
    }

    [Fact]
    public async Task A_wait_for_an_event_that_never_comes_gives_up_at_its_one_deadline_though_other_frames_keep_arriving()
    {
        // The test helpers' own bound: frames every half second keep each read short, and the wait still ends, naming
        // what it waited for and what it read instead (a loop bounded only per read would wait here for ever).
        await using var app = App(new() { ["UptimeWatch:Live:CheckFrameMs"] = "500", ["UptimeWatch:Live:HeartbeatSeconds"] = "1" });
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events");
        using var _ = response;
        using var __ = sse;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => sse.NextEventAsync("no-such-event", TimeSpan.FromSeconds(3)));

        Assert.StartsWith("Gave up after 3 s waiting for an SSE \"no-such-event\" event; seen meanwhile: ", error.Message);
        Assert.Contains("checks", error.Message);
    }

    [Fact]
    public async Task A_bad_last_event_id_is_a_400_naming_it()
    {
        await using var app = App();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/api/live/events?lastEventId=abc");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>();
        Assert.Equal("lastEventId \"abc\" must be an event id (a whole number, 0 or more)", problem!["error"].GetString());
    }

    [Fact]
    public async Task Long_polling_returns_at_once_when_there_are_events_after_the_cursor()
    {
        await using var app = App();
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();

        var poll = await client.GetFromJsonAsync<PollDto>("/api/live/poll?after=0&timeout=10");

        var logged = Assert.Single(await app.EventsAsync());
        Assert.Equal(logged, Assert.Single(poll!.Events));
        Assert.Equal(logged.Id, poll.Cursor);
        Assert.False(poll.Reset);
    }

    [Fact]
    public async Task Long_polling_holds_and_answers_204_when_nothing_happens()
    {
        await using var app = App();
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var cursor = (await app.EventsAsync())[^1].Id;

        var started = DateTime.UtcNow;
        var response = await client.GetAsync($"/api/live/poll?after={cursor}&timeout=1");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task Long_polling_holds_until_an_event_arrives_and_uses_the_same_ids_as_sse()
    {
        await using var app = App();
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var cursor = (await app.EventsAsync())[^1].Id;

        var pending = client.GetFromJsonAsync<PollDto>($"/api/live/poll?after={cursor}&timeout=20");
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);
        _target.Healthy = false;
        var poll = await pending;

        var change = Assert.Single(poll!.Events);
        Assert.Equal(("up", "down"), (change.From, change.To));
        Assert.Equal((await app.EventsAsync(after: cursor))[0], change);
        Assert.Equal(change.Id, poll.Cursor);
    }

    [Fact]
    public async Task Too_many_streams_from_one_address_get_a_429_that_says_why()
    {
        await using var app = App(new() { ["UptimeWatch:Live:MaxStreamsPerIp"] = "1" });
        using var client = app.CreateClient();
        var (first, sse) = await OpenAsync(client, "/api/live/events");
        using var _ = first;
        using var __ = sse;

        var second = await client.GetAsync("/api/live/events");

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("Too many live connections from your address", await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Check_results_arrive_coalesced_with_each_monitors_newest_check_and_the_totals_of_its_checks_since_the_last_frame()
    {
        // Checked every second, framed every 2.5 s: most frames stand for two or three checks.
        await using var app = App(new() { ["UptimeWatch:Live:CheckFrameMs"] = "2500" });
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events");
        using var _ = response;
        using var __ = sse;

        var first = ShopEntry(await sse.NextEventAsync("checks"));
        var second = ShopEntry(await sse.NextEventAsync("checks"));

        // The second frame holds exactly the checks stored after the first frame's newest, up to its own newest.
        var stored = (await app.ChecksAsync("shop"))
            .Where(c => c.At > first.At && c.At <= second.At)
            .OrderBy(c => c.At)
            .ToList();
        var timed = stored.Where(c => c.Outcome != "down" && c.ResponseMs is not null).Select(c => c.ResponseMs!.Value).ToList();
        Assert.NotEmpty(stored);
        Assert.Equal((stored[^1].At, stored[^1].Outcome, stored[^1].ResponseMs, "up"), (second.At, second.Outcome, second.ResponseMs, second.Status));
        Assert.Equal((stored.Count, stored.Count(c => c.Outcome == "down"), timed.Count), (second.Count, second.Failures, second.Timed));
        Assert.Equal((int)Math.Round(timed.Average()), second.AvgMs);
        Assert.Equal(timed.Max(), second.MaxMs);
    }

    [Fact]
    public async Task A_private_monitor_never_appears_on_the_public_stream_while_its_checks_and_changes_happen()
    {
        await using var app = new UptimeWatchApp(_data,
        [
            UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1),
            UptimeWatchApp.Monitor("Back office", _target.Url("/health"), failureThreshold: 1, isPublic: false),
        ], new() { ["UptimeWatch:Live:CheckFrameMs"] = "500" });
        await app.WaitForStatusAsync("shop", "up");
        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: 0);
        using var _ = response;
        using var __ = sse;

        // Both are checked every second, and the public one goes down and comes back: the stream tells of it only.
        var frames = new List<ReceivedSseFrame>();
        _target.Healthy = false;
        await CollectUntilAsync(sse, frames, f => f.Event == "status" && f.Data!.Contains("\"to\":\"down\""), "a status event to down");
        _target.Healthy = true;
        await CollectUntilAsync(sse, frames, f => f.Event == "status" && f.Data!.Contains("\"to\":\"up\""), "a status event to up");
        await Eventually.Until(() => PrivateChecksAsync(app), n => n >= 3, what: "three checks of the private monitor");
        await CollectUntilAsync(sse, frames, f => f.Event == "checks", "a checks event");

        Assert.Contains(frames, f => f.Event == "checks" && f.Data!.Contains("\"monitor\":\"shop\""));
        Assert.DoesNotContain(frames, f => new[] { f.Id, f.Event, f.Data }.Any(v => v is not null && (v.Contains("back-office") || v.Contains("Back office"))));
        Assert.DoesNotContain(frames, f => f.Event == "check");
    }

    [Fact]
    public async Task Status_changes_go_out_at_once_and_exactly_once_whatever_the_check_frame_window()
    {
        // A window far longer than the test: no checks frame comes, and status events must not wait for one.
        await using var app = App(new() { ["UptimeWatch:Live:CheckFrameMs"] = "60000" });
        await app.WaitForStatusAsync("shop", "up");
        var cursor = (await app.EventsAsync())[^1].Id;
        using var client = app.CreateClient();
        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: cursor);
        using var _ = response;
        using var __ = sse;

        var frames = new List<ReceivedSseFrame>();
        for (var flip = 0; flip < 4; flip++)
        {
            _target.Healthy = flip % 2 == 1;
            var to = _target.Healthy ? "up" : "down";
            await CollectUntilAsync(sse, frames, f => f.Event == "status" && f.Data!.Contains($"\"to\":\"{to}\""), $"a status event to {to}");
        }

        // Every change up to the last one seen (flapping may add some of its own), each once, in order.
        var received = frames.Where(f => f.Event == "status").Select(f => long.Parse(f.Id!)).ToList();
        var logged = (await app.EventsAsync(after: cursor)).Where(e => e.Id <= received[^1]).Select(e => e.Id).ToList();
        Assert.Equal(logged, received);
        Assert.True(received.Count >= 4);
        Assert.DoesNotContain(frames, f => f.Event is "checks" or "check");
    }

    [Fact]
    public async Task An_sse_client_further_behind_than_max_replay_events_gets_a_reset_with_the_cursor_then_live_events()
    {
        await using var app = App(new() { ["UptimeWatch:Live:MaxReplayEvents"] = "3" });
        await app.WaitForStatusAsync("shop", "up");
        await app.AddPastStatusChangesAsync("shop", 4, MonitorStatus.Down);
        var newest = (await app.EventsAsync())[^1].Id;
        using var client = app.CreateClient();

        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: 0);
        using var _ = response;
        using var __ = sse;

        // The first frame after retry: nothing of the log is replayed.
        var reset = await sse.NextEventAsync("reset");
        Assert.Null(reset.Id);
        using var data = JsonDocument.Parse(reset.Data!);
        Assert.Equal(newest, data.RootElement.GetProperty("cursor").GetInt64());
        Assert.Contains("more than 3 events", data.RootElement.GetProperty("reason").GetString());

        _target.Healthy = false;
        var live = await sse.NextEventAsync("status");
        var missed = await app.EventsAsync(after: newest);
        Assert.Equal(missed[0].Id.ToString(), live.Id);
        Assert.Contains("\"to\":\"down\"", live.Data!);
    }

    [Fact]
    public async Task A_long_poll_further_behind_than_max_replay_events_gets_a_reset_and_polling_on_from_its_cursor_loses_nothing()
    {
        await using var app = App(new() { ["UptimeWatch:Live:MaxReplayEvents"] = "3" });
        await app.WaitForStatusAsync("shop", "up");
        await app.AddPastStatusChangesAsync("shop", 4, MonitorStatus.Down);
        var newest = (await app.EventsAsync())[^1].Id;
        using var client = app.CreateClient();

        var reset = await client.GetFromJsonAsync<PollDto>("/api/live/poll?after=0&timeout=10");

        Assert.Equal((newest, true), (reset!.Cursor, reset.Reset));
        Assert.Empty(reset.Events);
        var pending = client.GetFromJsonAsync<PollDto>($"/api/live/poll?after={reset.Cursor}&timeout=20");
        _target.Healthy = false;
        var next = await pending;
        Assert.False(next!.Reset);
        Assert.Equal((await app.EventsAsync(after: newest))[0], next.Events[0]);
    }

    [Fact]
    public async Task A_replay_within_max_replay_events_sends_every_missed_event_once_in_order_on_both_transports()
    {
        await using var app = App(new() { ["UptimeWatch:Live:MaxReplayEvents"] = "6" });
        await app.WaitForStatusAsync("shop", "up");
        await app.AddPastStatusChangesAsync("shop", 5, MonitorStatus.Down);
        var logged = await app.EventsAsync();
        Assert.Equal(6, logged.Count);
        using var client = app.CreateClient();

        var (response, sse) = await OpenAsync(client, "/api/live/events", lastEventId: 0);
        using var _ = response;
        using var __ = sse;
        var replayed = new List<string?>();
        for (var i = 0; i < logged.Count; i++)
        {
            replayed.Add((await sse.NextEventAsync("status")).Id);
        }
        Assert.Equal(logged.Select(e => e.Id.ToString()), replayed);
        var poll = await client.GetFromJsonAsync<PollDto>("/api/live/poll?after=0&timeout=10");
        Assert.False(poll!.Reset);
        Assert.Equal(logged, poll.Events);

        // Then live, with nothing replayed twice.
        _target.Healthy = false;
        var live = await sse.NextEventAsync("status");
        Assert.Equal((await app.EventsAsync(after: logged[^1].Id))[0].Id.ToString(), live.Id);
    }

    private static async Task<int> PrivateChecksAsync(UptimeWatchApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        var id = await db.Monitors.Where(m => m.Slug == "back-office").Select(m => m.Id).SingleAsync();
        return await db.CheckResults.CountAsync(c => c.MonitorId == id);
    }

    private static Task CollectUntilAsync(SseReader sse, List<ReceivedSseFrame> frames, Func<ReceivedSseFrame, bool> last,
        string what) =>
        sse.NextMatchingAsync(last, what, collect: frames);

    private static CoalescedCheck ShopEntry(ReceivedSseFrame frame) =>
        JsonSerializer.Deserialize<ChecksFrame>(frame.Data!, JsonOptions)!.Checks.Single(c => c.Monitor == "shop");

    private sealed record ChecksFrame(List<CoalescedCheck> Checks);

    private sealed record CoalescedCheck(string Monitor, DateTimeOffset At, string Outcome, int? ResponseMs, string Status,
        int Count, int Failures, int Timed, int? AvgMs, int? MaxMs);

    private sealed record PollDto(List<EventDto> Events, long Cursor, bool Reset);
}
