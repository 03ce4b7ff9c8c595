using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Storage;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Live;

/// <summary>
/// One event log, one cursor (docs/live-api.md): after the same cursor the SSE stream, long polling, <c>/api/events</c>
/// and the admin WebSocket replay the same entries — the public transports the same JSON, the admin socket every
/// monitor's with the full reasons — and a cursor the log cannot resume from is a reset on each.
/// </summary>
public sealed class ReplayAcrossTransportsTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private readonly string _data = TestPaths.NewTempDirectory();

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private async Task<UptimeWatchApp> StartAsync()
    {
        var app = new UptimeWatchApp(_data, [
            UptimeWatchApp.Monitor("Shop", _target.Url("/health"), failureThreshold: 1),
            UptimeWatchApp.Monitor("Back office", _target.Url("/health"), failureThreshold: 1, isPublic: false),
        ]);
        // Both first changes (unknown to up) are in the log before the past ones are added, so the log stays still.
        await app.WaitForStatusAsync("shop", "up");
        await Eventually.Until(() => LogAsync(app), log => log.Any(e => e.Slug == "back-office"), what: "the private monitor's first change");
        await app.AddPastStatusChangesAsync("back-office", 2, MonitorStatus.Up);
        await app.AddPastStatusChangesAsync("shop", 3, MonitorStatus.Up);
        await app.AddPastStatusChangesAsync("back-office", 1, MonitorStatus.Up);
        return app;
    }

    [Fact]
    public async Task Sse_long_polling_the_events_api_and_the_admin_socket_replay_the_same_entries_after_the_same_cursor()
    {
        await using var app = await StartAsync();
        var log = await LogAsync(app);
        // Not the newest id this process published (log[1]): long polling answers that from the hub alone, and the past
        // changes were written around the hub.
        var cursor = log[0].Id;
        var missed = log.Where(e => e.Id > cursor).ToList();
        var publicIds = missed.Where(e => e.Slug == "shop").Select(e => e.Id).ToList();
        Assert.True(publicIds.Count >= 3 && missed.Count > publicIds.Count);
        using var client = app.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        request.Headers.Add("Last-Event-ID", cursor.ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        var streamed = new List<ReceivedSseFrame>();
        foreach (var _ in publicIds)
        {
            streamed.Add(await sse.NextEventAsync("status"));
        }

        using var poll = JsonDocument.Parse(await client.GetStringAsync($"/api/live/poll?after={cursor}&timeout=0"));
        using var api = JsonDocument.Parse(await client.GetStringAsync($"/api/events?after={cursor}"));
        var polled = poll.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();
        var listed = api.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();

        // The public transports: the public monitor's entries after the cursor, in order, as the same JSON.
        Assert.Equal(publicIds.Select(id => id.ToString()), streamed.Select(f => f.Id));
        Assert.Equal(streamed.Select(f => f.Data), polled);
        Assert.Equal(polled, listed);
        Assert.Equal(publicIds.Last(), poll.RootElement.GetProperty("cursor").GetInt64());

        // The admin socket: every monitor's entries after the same cursor; the public ones are the same events, with the full reason.
        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        Assert.Equal("ok", (await socket.CommandAsync("subscribe", new { after = cursor })).Type());
        var replayed = new List<JsonElement>();
        foreach (var _ in missed)
        {
            replayed.Add(await socket.NextPushAsync("status"));
        }
        Assert.Equal(missed.Select(e => e.Id), replayed.Select(p => p.GetProperty("seq").GetInt64()));
        var adminPublic = replayed.Where(p => p.GetProperty("payload").GetProperty("monitor").GetString() == "shop").ToList();
        Assert.Equal(polled.Select(WithoutReason), adminPublic.Select(p => WithoutReason(p.GetProperty("payload").GetRawText())));
        Assert.Equal(missed.Select(e => e.Reason), replayed.Select(p => p.GetProperty("payload").GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task A_cursor_newer_than_the_log_is_a_reset_on_sse_long_polling_and_the_admin_socket()
    {
        await using var app = await StartAsync();
        var newest = (await LogAsync(app))[^1].Id;
        var beyond = newest + 1000;
        using var client = app.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/live/events?lastEventId={beyond}");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        var streamReset = JsonDocument.Parse((await sse.NextMatchingAsync(f => f.Event is not null, "the first event")).Data!).RootElement;

        var poll = await client.GetFromJsonAsync<JsonElement>($"/api/live/poll?after={beyond}&timeout=0");

        await using var socket = await AdminSocketClient.ConnectAsync(app, await app.SessionCookieAsync());
        Assert.Equal("ok", (await socket.CommandAsync("subscribe", new { after = beyond })).Type());
        var adminReset = await socket.NextPushAsync(p => p.Type() != "check", "the first push");

        // One rule, one reason; each transport says it its own way (docs/live-api.md, docs/admin-protocol.md).
        var reason = streamReset.GetProperty("reason").GetString();
        Assert.Contains("newer than any event here", reason);
        Assert.Equal(newest, streamReset.GetProperty("cursor").GetInt64());
        Assert.Equal((true, newest, 0), (poll.GetProperty("reset").GetBoolean(), poll.GetProperty("cursor").GetInt64(), poll.GetProperty("events").GetArrayLength()));
        Assert.Equal(("reset", reason), (adminReset.Type(), adminReset.GetProperty("payload").GetProperty("reason").GetString()));
    }

    private static string WithoutReason(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("reason");
        return node.ToJsonString();
    }

    /// <summary>The status changes in the log, oldest first, with their monitor's slug and their full reason.</summary>
    private static async Task<List<(long Id, string Slug, string Reason)>> LogAsync(UptimeWatchApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        var rows = await (
                from e in db.StatusEvents
                join m in db.Monitors on e.MonitorId equals m.Id
                where e.Kind == EventKind.Status
                orderby e.Id
                select new { e.Id, m.Slug, e.Reason })
            .ToListAsync();
        return [.. rows.Select(r => (r.Id, r.Slug, r.Reason))];
    }
}
