using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Live;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>Live pushes on the admin WebSocket: nothing before subscribe, every monitor's events after it.</summary>
public sealed class AdminSocketPushTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    /// <summary>A public monitor and a private one (the status page never shows it; the admin socket does).</summary>
    private UptimeWatchApp App(Dictionary<string, string?>? settings = null) =>
        new(TestPaths.NewTempDirectory(),
        [
            UptimeWatchApp.Monitor("Storefront", _target.Url("/health"), failureThreshold: 1),
            UptimeWatchApp.Monitor("Back office", _target.Url("/health"), failureThreshold: 1, isPublic: false),
        ], settings);

    [Fact]
    public async Task Before_subscribe_nothing_is_pushed()
    {
        await using var app = App();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        var checksBefore = (await app.ChecksAsync("storefront")).Count;

        await Eventually.Until(() => app.ChecksAsync("storefront"), c => c.Count >= checksBefore + 2, what: "two more checks");
        await socket.SendTextAsync("""{"type":"hello","id":"probe"}""");
        var first = await socket.ReceiveAsync();

        Assert.Equal(("error", "probe"), (first!.Value.Type(), first.Value.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task After_subscribe_checks_and_status_changes_of_private_monitors_are_pushed_with_their_seq()
    {
        await using var app = App();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        var ok = await socket.CommandAsync("subscribe");
        var check = await NextPushForAsync(socket, "check", "back-office");
        _target.Healthy = false;
        var down = await NextStatusAsync(socket, "back-office", "down");
        var publicDown = await NextStatusAsync(socket, "storefront", "down");

        Assert.Equal("ok", ok.Type());
        Assert.True(ok.GetProperty("payload").GetProperty("seq").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Null, check.GetProperty("seq").ValueKind);
        Assert.Equal("back-office", check.GetProperty("payload").GetProperty("monitor").GetString());
        Assert.Equal("local", check.GetProperty("payload").GetProperty("location").GetString());
        var seq = down.GetProperty("seq").GetInt64();
        Assert.Equal(seq, down.GetProperty("payload").GetProperty("id").GetInt64());
        Assert.Equal("back-office", down.GetProperty("payload").GetProperty("monitor").GetString());
        // The same cursor as the status page's events.
        var publicSeq = publicDown.GetProperty("seq").GetInt64();
        Assert.Contains(await app.EventsAsync(), e => e.Id == publicSeq && e.Monitor == "storefront" && e.To == "down");
        Assert.DoesNotContain(await app.EventsAsync(), e => e.Id == seq);
    }

    [Fact]
    public async Task A_public_monitors_checks_still_come_one_by_one_as_check_pushes_and_never_as_the_status_pages_checks_frames()
    {
        await using var app = App(new() { ["UptimeWatch:Live:CheckFrameMs"] = "200" });
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        Assert.Equal("ok", (await socket.CommandAsync("subscribe")).Type());

        // Three checks of the public monitor in a row, each its own push, while frames for the public page go out.
        var pushes = new List<JsonElement>();
        while (pushes.Count(p => p.Type() == "check" && Monitor(p) == "storefront") < 3)
        {
            pushes.Add(await socket.NextPushAsync(_ => true, "any push"));
        }

        var checks = pushes.Where(p => p.Type() == "check" && Monitor(p) == "storefront").ToList();
        Assert.Equal(3, checks.Select(c => c.GetProperty("payload").GetProperty("at").GetDateTimeOffset()).Distinct().Count());
        Assert.All(checks, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("seq").ValueKind));
        Assert.DoesNotContain(pushes, p => p.Type() == "checks");
    }

    private static string? Monitor(JsonElement push) =>
        push.GetProperty("payload").TryGetProperty("monitor", out var monitor) ? monitor.GetString() : null;

    [Fact]
    public async Task A_subscriber_that_falls_too_far_behind_is_closed_with_1013()
    {
        await using var app = App(new() { ["UptimeWatch:Live:ClientQueueSize"] = "8" });
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        Assert.Equal("ok", (await socket.CommandAsync("subscribe")).Type());

        // A burst far larger than the socket's queue, published at once (as a reload of many monitors would).
        var burst = Enumerable.Range(0, 5000)
            .Select(i => new LiveEvent(null, "monitors.changed", false, Encoding.UTF8.GetBytes($$"""{"slug":"m{{i}}","change":"created"}"""), ReadOnlyMemory<byte>.Empty))
            .ToList();
        app.Services.GetRequiredService<EventHub>().Publish(burst);

        Assert.Equal((WebSocketCloseStatus)1013, await socket.ClosedAsync());
        Assert.Contains("subscribe with after", socket.CloseDescription);
    }

    internal static Task<JsonElement> NextStatusAsync(AdminSocketClient socket, string monitor, string to) =>
        socket.NextPushAsync(p => p.Type() == "status" && p.GetProperty("payload").GetProperty("monitor").GetString() == monitor
                                  && p.GetProperty("payload").GetProperty("to").GetString() == to, $"{monitor} going {to}");

    internal static Task<JsonElement> NextPushForAsync(AdminSocketClient socket, string type, string monitor) =>
        socket.NextPushAsync(p => p.Type() == type && p.GetProperty("payload").GetProperty("monitor").GetString() == monitor, $"a {type} of {monitor}");
}
