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

/// <summary>
/// What docs/live-api.md promises about limits and lost cursors, through real Kestrel on 127.0.0.1: a pruned id gets a
/// reset on both transports, MaxStreams answers 503, held polls take a slot, MaxPollTimeoutSeconds bounds the timeout,
/// and a client that does not read is cut off.
/// </summary>
public sealed class LiveLimitsTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private (UptimeWatchApp App, HttpClient Http) Start(Dictionary<string, string?>? settings = null)
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1)], settings);
        app.StartKestrel();
        return (app, app.KestrelClient());
    }

    [Fact]
    public async Task An_id_whose_events_were_pruned_gets_a_reset_on_sse_and_on_long_polling()
    {
        var (app, http) = Start();
        await using var _ = app;
        using var __ = http;
        await app.WaitForStatusAsync("shop", "up");
        await app.AddPastStatusChangesAsync("shop", 4, MonitorStatus.Down);
        var logged = await app.EventsAsync();
        Assert.Equal(5, logged.Count);
        // Retention took the three oldest: events after the first id are no longer all kept.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal(3, await db.StatusEvents.Where(e => e.Id <= logged[2].Id).ExecuteDeleteAsync());
        }
        // Resuming after logged[2] would still lose nothing; after logged[1], the event logged[2] is gone. (Not the
        // first id: the process published that one itself, and a poll at the newest published id skips the log.)
        var pruned = logged[1].Id;
        var newest = logged[^1].Id;

        var poll = await http.GetFromJsonAsync<PollDto>($"/api/live/poll?after={pruned}&timeout=10");
        Assert.Equal((newest, true), (poll!.Cursor, poll.Reset));
        Assert.Empty(poll.Events);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        request.Headers.Add("Last-Event-ID", pruned.ToString());
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = await SseReader.OpenAsync(response);
        var frame = await sse.NextEventAsync("reset");
        Assert.Null(frame.Id);
        using var data = JsonDocument.Parse(frame.Data!);
        Assert.Equal("events after this id are no longer kept: reload", data.RootElement.GetProperty("reason").GetString());
        Assert.Equal(newest, data.RootElement.GetProperty("cursor").GetInt64());
    }

    [Fact]
    public async Task Past_max_streams_in_total_a_new_live_connection_gets_a_503_that_says_why_until_one_closes()
    {
        // Per client far above the total, so the 503 can only come from MaxStreams.
        var (app, http) = Start(new() { ["UptimeWatch:Live:MaxStreams"] = "1", ["UptimeWatch:Live:MaxStreamsPerIp"] = "100" });
        await using var _ = app;
        using var __ = http;
        var first = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using (var second = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal("10", second.Headers.GetValues("Retry-After").Single());
            var problem = await second.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>();
            Assert.Equal("The server has as many live connections as it accepts; try again shortly", problem!["error"].GetString());
        }
        using (var poll = await http.GetAsync("/api/live/poll?timeout=0"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, poll.StatusCode);
        }

        // Closing the stream gives its slot back.
        first.Dispose();
        await Eventually.Until(async () =>
        {
            using var again = await http.GetAsync("/api/live/poll?timeout=0");
            return again.StatusCode;
        }, s => s != HttpStatusCode.ServiceUnavailable, what: "a live connection to be accepted after the stream closed");
    }

    [Fact]
    public async Task A_held_long_poll_counts_toward_the_limits_until_it_answers()
    {
        var (app, http) = Start(new() { ["UptimeWatch:Live:MaxStreams"] = "1", ["UptimeWatch:Live:MaxStreamsPerIp"] = "100" });
        await using var _ = app;
        using var __ = http;
        await app.WaitForStatusAsync("shop", "up");
        var cursor = (await app.EventsAsync())[^1].Id;
        var hub = app.Services.GetRequiredService<EventHub>();

        var held = http.GetFromJsonAsync<PollDto>($"/api/live/poll?after={cursor}&timeout=60");
        // A poll subscribes only after it took its slot: once it waits on the hub, it holds one.
        await Eventually.Until(() => Task.FromResult(hub.HasSubscribers(LiveFeed.PublicStatus)), s => s, what: "the poll to be held");
        Assert.False(held.IsCompleted);

        using (var stream = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stream.StatusCode);
        }

        _target.Healthy = false;
        var answer = await held;
        Assert.Equal("down", Assert.Single(answer!.Events).To);
        await Eventually.Until(async () =>
        {
            using var stream = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
            return stream.StatusCode;
        }, s => s == HttpStatusCode.OK, what: "a stream to be accepted once the poll answered");
    }

    [Fact]
    public async Task A_poll_timeout_above_max_poll_timeout_seconds_is_a_400_naming_it_and_the_maximum_itself_is_accepted()
    {
        var (app, http) = Start(new() { ["UptimeWatch:Live:MaxPollTimeoutSeconds"] = "5" });
        await using var _ = app;
        using var __ = http;
        await app.WaitForStatusAsync("shop", "up");

        using var tooLong = await http.GetAsync("/api/live/poll?after=0&timeout=6");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var problem = await tooLong.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>();
        Assert.Equal("timeout \"6\" must be a whole number of seconds from 0 to 5", problem!["error"].GetString());

        // There is an event after 0, so the longest allowed timeout answers at once.
        var atMost = await http.GetFromJsonAsync<PollDto>("/api/live/poll?after=0&timeout=5");
        Assert.NotEmpty(atMost!.Events);
    }

    [Fact]
    public async Task A_poll_that_names_no_timeout_is_held_at_most_max_poll_timeout_seconds()
    {
        var (app, http) = Start(new() { ["UptimeWatch:Live:MaxPollTimeoutSeconds"] = "1" });
        await using var _ = app;
        using var __ = http;
        await app.WaitForStatusAsync("shop", "up");
        var cursor = (await http.GetFromJsonAsync<PollDto>("/api/live/poll?after=0&timeout=0"))!.Cursor;

        // Held at the newest id with no timeout given: the default (25 s) would outlast this wait's one deadline
        // (15 s); capped at 1 s it answers 204 well within it.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var held = await http.GetAsync($"/api/live/poll?after={cursor}", deadline.Token);

        Assert.Equal(HttpStatusCode.NoContent, held.StatusCode);
    }

    [Fact]
    public async Task An_sse_client_that_stops_reading_is_cut_off_its_stream_ends_and_its_slot_is_freed()
    {
        var (app, http) = Start(new() { ["UptimeWatch:Live:ClientQueueSize"] = "8", ["UptimeWatch:Live:MaxStreams"] = "1" });
        await using var _ = app;
        using var __ = http;
        var hub = app.Services.GetRequiredService<EventHub>();
        var response = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
        using var sse = await SseReader.OpenAsync(response);
        await Eventually.Until(() => Task.FromResult(hub.HasSubscribers(LiveFeed.PublicStream)), s => s, what: "the stream to subscribe");

        // Large live-only frames, while the client reads nothing: the socket buffers fill, then its queue of 8.
        var payload = new string('x', 256 * 1024);
        var frame = Encoding.UTF8.GetBytes($"event: checks\ndata: {payload}\n\n");
        var published = 0;
        await Eventually.Until(() =>
        {
            for (var i = 0; i < 4; i++)
            {
                hub.Publish([new LiveEvent(null, CheckFrames.Kind, true, Encoding.UTF8.GetBytes(payload), frame)]);
                published++;
            }
            return Task.FromResult(hub.HasSubscribers(LiveFeed.PublicStream));
        }, subscribed => !subscribed, what: "the client that reads nothing to be cut off");

        // The server ends the response (the client resumes by id): reading now reaches the end, short of what was published.
        var frames = (await Eventually.Within(TimeSpan.FromSeconds(30), "the cut-off stream to end", sse.ReadToEndAsync, sse.Seen))
            .Count(f => f.Data?.StartsWith("xxx", StringComparison.Ordinal) == true);
        Assert.InRange(frames, 0, published - 1);
        response.Dispose();

        // Its slot is back: with MaxStreams 1 a new stream is accepted.
        await Eventually.Until(async () =>
        {
            using var again = await http.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
            return again.StatusCode;
        }, s => s == HttpStatusCode.OK, what: "a new stream to be accepted");
    }

    private sealed record PollDto(List<EventDto> Events, long Cursor, bool Reset);
}
