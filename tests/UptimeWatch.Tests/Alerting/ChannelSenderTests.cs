using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UptimeWatch.Alerting;
using UptimeWatch.Alerting.Channels;

namespace UptimeWatch.Tests.Alerting;

/// <summary>Each chat channel's request, as the service would receive it, from a real receiver on 127.0.0.1.</summary>
public sealed class ChannelSenderTests : IAsyncLifetime
{
    private const string Hostile = "<b>&\"x\"</b> @everyone";
    private readonly ConcurrentQueue<(string Method, string Path, Dictionary<string, string> Headers, string Body)> _received = new();
    private WebApplication _app = null!;
    private int _port;
    private volatile int _status = 200;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _port = TargetServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, _port));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            _received.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), await reader.ReadToEndAsync()));
            context.Response.StatusCode = _status;
            if (_status == 429)
            {
                context.Response.Headers.RetryAfter = "7";
            }
            await context.Response.WriteAsync(_status == 200 ? "ok" : "no such webhook");
        });
        await _app.StartAsync();
        _services = new ServiceCollection().AddSingleton(TimeProvider.System).AddChannelSenders().BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _app.DisposeAsync();
    }

    private static Notification Down(string? statusPage = "https://status.example.com/") => new(7, "alert:3:down:c", 3, "down", "shop", Hostile,
        "https://shop.example.com/health", "down", "up", "2 consecutive failures: HTTP 503", DateTimeOffset.Parse("2026-11-25T10:00:00Z"),
        DateTimeOffset.Parse("2026-11-25T10:00:00Z"), statusPage);

    private async Task<(DeliveryOutcome Outcome, string Method, string Path, Dictionary<string, string> Headers, JsonObject Body)> SendAsync(
        string type, ChannelSettings? settings = null, Notification? notification = null)
    {
        var sender = _services.GetServices<IChannelSender>().Single(s => s.Type == type);
        settings ??= new ChannelSettings { Name = "c", Type = type, Url = new Uri($"http://127.0.0.1:{_port}/services/T000/B000/secretpart") };
        var outcome = await sender.SendAsync(settings, notification ?? Down(), CancellationToken.None);
        Assert.True(_received.TryDequeue(out var request));
        return (outcome, request.Method, request.Path, request.Headers, JsonNode.Parse(request.Body)!.AsObject());
    }

    [Fact]
    public async Task Slack_gets_a_fallback_text_and_a_mrkdwn_block_with_the_users_text_escaped()
    {
        var (outcome, method, path, _, body) = await SendAsync("slack");

        Assert.Equal((true, 200, "POST", "/services/T000/B000/secretpart"), (outcome.Delivered, outcome.StatusCode, method, path));
        Assert.Equal($"[DOWN] {Hostile}", body["text"]!.GetValue<string>());
        var text = body["blocks"]![0]!["text"]!["text"]!.GetValue<string>();
        Assert.StartsWith("*[DOWN] &lt;b&gt;&amp;\"x\"&lt;/b&gt; @everyone*\n2 consecutive failures: HTTP 503\nhttps://shop.example.com/health", text);
        Assert.EndsWith("<https://status.example.com/|Status page>", text);
    }

    [Fact]
    public async Task Discord_gets_a_red_embed_and_no_mention_is_ever_parsed()
    {
        var (_, _, _, _, body) = await SendAsync("discord");

        var embed = body["embeds"]![0]!;
        Assert.Equal(($"[DOWN] {Hostile}", 0xD93025, "https://status.example.com/"),
            (embed["title"]!.GetValue<string>(), embed["color"]!.GetValue<int>(), embed["url"]!.GetValue<string>()));
        Assert.Empty(body["allowed_mentions"]!["parse"]!.AsArray());
    }

    [Fact]
    public async Task Teams_gets_an_adaptive_card_message()
    {
        var (_, _, _, _, body) = await SendAsync("teams");

        Assert.Equal("message", body["type"]!.GetValue<string>());
        var attachment = body["attachments"]![0]!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
        var card = attachment["content"]!;
        Assert.Equal(("AdaptiveCard", $"[DOWN] {Hostile}"), (card["type"]!.GetValue<string>(), card["body"]![0]!["text"]!.GetValue<string>()));
        Assert.Equal("https://status.example.com/", card["actions"]![0]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Telegram_calls_sendMessage_with_the_bot_token_in_the_path_and_html_escaped()
    {
        var settings = new ChannelSettings { Name = "tg", Type = "telegram", Url = new Uri($"http://127.0.0.1:{_port}/"), Secret = "123456:ABC-token", ChatId = "-100200" };

        var (outcome, _, path, _, body) = await SendAsync("telegram", settings);

        Assert.True(outcome.Delivered);
        Assert.Equal("/bot123456:ABC-token/sendMessage", path);
        Assert.Equal(("-100200", "HTML"), (body["chat_id"]!.GetValue<string>(), body["parse_mode"]!.GetValue<string>()));
        Assert.StartsWith("<b>[DOWN] &lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt; @everyone</b>\n", body["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ntfy_publishes_json_to_the_server_with_topic_priority_and_token()
    {
        var settings = new ChannelSettings { Name = "n", Type = "ntfy", Url = new Uri($"http://127.0.0.1:{_port}/uptime-alerts"), Secret = "tk_abcdefghijklmnop" };

        var (_, _, path, headers, body) = await SendAsync("ntfy", settings);

        Assert.Equal("/", path);
        Assert.Equal("Bearer tk_abcdefghijklmnop", headers["Authorization"]);
        Assert.Equal(("uptime-alerts", 5, "rotating_light"),
            (body["topic"]!.GetValue<string>(), body["priority"]!.GetValue<int>(), body["tags"]![0]!.GetValue<string>()));
        Assert.Equal($"[DOWN] {Hostile}", body["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_recovery_says_how_long_the_incident_lasted()
    {
        var recovered = Down() with { Event = "recovered", Status = "up", PreviousStatus = "down", At = DateTimeOffset.Parse("2026-11-25T11:25:00Z") };

        var (_, _, _, _, body) = await SendAsync("discord", notification: recovered);

        Assert.Equal(($"[RECOVERED] {Hostile} after 1 h 25 min", 0x1E8E3E), (body["embeds"]![0]!["title"]!.GetValue<string>(), body["embeds"]![0]!["color"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Refusals_are_permanent_or_retryable_by_status_and_never_show_the_webhook_path()
    {
        _status = 404;
        var (gone, _, _, _, _) = await SendAsync("slack");
        _status = 503;
        var (busy, _, _, _, _) = await SendAsync("slack");
        _status = 429;
        var (limited, _, _, _, _) = await SendAsync("slack");

        Assert.Equal((false, 404, true), (gone.Delivered, gone.StatusCode, gone.Permanent));
        Assert.Equal($"http://127.0.0.1:{_port}/… answered 404 Not Found: no such webhook", gone.Error);
        Assert.Equal((false, 503, false), (busy.Delivered, busy.StatusCode, busy.Permanent));
        Assert.Equal((false, TimeSpan.FromSeconds(7)), (limited.Permanent, limited.RetryAfter));
        Assert.DoesNotContain("secretpart", gone.Error + busy.Error + limited.Error);
    }

    [Fact]
    public async Task A_receiver_that_is_not_there_is_retryable_and_the_error_hides_the_path()
    {
        var sender = _services.GetServices<IChannelSender>().Single(s => s.Type == "discord");
        var port = TargetServer.FreePort();
        var settings = new ChannelSettings { Name = "d", Type = "discord", Url = new Uri($"http://127.0.0.1:{port}/api/webhooks/1/secretpart") };

        var outcome = await sender.SendAsync(settings, Down(), CancellationToken.None);

        Assert.False(outcome.Delivered || outcome.Permanent);
        Assert.StartsWith($"http://127.0.0.1:{port}/…: could not connect", outcome.Error);
        Assert.DoesNotContain("secretpart", outcome.Error);
    }
}
