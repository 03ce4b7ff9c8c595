using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Live;

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

    /// <summary>Reads an SSE stream frame by frame (comments included), with a bound on each wait.</summary>
    private sealed class SseReader(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream, Encoding.UTF8);

        public async Task<Dictionary<string, string>> NextAsync(TimeSpan? timeout = null, bool includeComments = false)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            var frame = new Dictionary<string, string>();
            while (true)
            {
                var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("stream ended");
                if (line.Length == 0)
                {
                    if (frame.Count > 0)
                    {
                        return frame;
                    }
                    continue;
                }
                if (line.StartsWith(':'))
                {
                    if (includeComments)
                    {
                        return new Dictionary<string, string> { ["comment"] = line[1..].Trim() };
                    }
                    continue;
                }
                var colon = line.IndexOf(':');
                frame[line[..colon]] = line[(colon + 1)..].TrimStart();
            }
        }

        /// <summary>The next frame of the given event type, skipping others (check results, retry).</summary>
        public async Task<Dictionary<string, string>> NextEventAsync(string type, TimeSpan? timeout = null)
        {
            // One bound for the whole search: other events (checks every second) must not keep it waiting for ever.
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"no \"{type}\" event within {(timeout ?? TimeSpan.FromSeconds(20)).TotalSeconds} s");
                }
                var frame = await NextAsync(left);
                if (frame.GetValueOrDefault("event") == type)
                {
                    return frame;
                }
            }
        }

        public void Dispose() => _reader.Dispose();
    }

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
        Assert.Equal("3000", (await sse.NextAsync())["retry"]);

        var frame = await sse.NextEventAsync("status");
        var logged = Assert.Single(await app.EventsAsync());
        Assert.Equal(logged.Id.ToString(), frame["id"]);
        Assert.Equal(JsonSerializer.Serialize(logged, JsonOptions), JsonSerializer.Serialize(JsonSerializer.Deserialize<EventDto>(frame["data"], JsonOptions), JsonOptions));
        Assert.Equal(("unknown", "up"), (logged.From, logged.To));

        var checks = await sse.NextEventAsync("checks");
        Assert.False(checks.ContainsKey("id"));
        Assert.Contains("\"monitor\":\"shop\"", checks["data"]);
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
        Assert.Equal(before[1].Id.ToString(), (await sse.NextEventAsync("status"))["id"]);

        // A commit racing with the replay may be queued live as well: it must not come twice.
        var hub = app.Services.GetRequiredService<EventHub>();
        hub.Publish([new LiveEvent(before[1].Id, "status", true, "{}"u8.ToArray(), Encoding.UTF8.GetBytes($"id: {before[1].Id}\nevent: status\ndata: {{}}\n\n"))]);

        _target.Healthy = true;
        var live = await sse.NextEventAsync("status");
        var after = await app.EventsAsync(after: before[1].Id);
        Assert.Equal(after[0].Id.ToString(), live["id"]);
        Assert.Contains("\"to\":\"up\"", live["data"]);
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
        Assert.Contains("reload", reset["data"]);
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

        Dictionary<string, string> frame;
        do
        {
            frame = await sse.NextAsync(TimeSpan.FromSeconds(5), includeComments: true);
        }
        while (!frame.ContainsKey("comment"));

        Assert.Equal("keepalive", frame["comment"]);
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

    private sealed record PollDto(List<EventDto> Events, long Cursor, bool Reset);
}
