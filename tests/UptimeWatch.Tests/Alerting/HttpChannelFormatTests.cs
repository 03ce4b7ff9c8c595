using Markdig;
using UptimeWatch.Alerting.Channels;
using static UptimeWatch.Tests.Alerting.ChannelTestKit;

namespace UptimeWatch.Tests.Alerting;

/// <summary>Each HTTP channel's request, as a real receiver on 127.0.0.1 sees it.</summary>
public sealed class HttpChannelFormatTests : IAsyncLifetime, IDisposable
{
    private readonly ChannelTestKit _kit = new();
    private HookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task Webhook_posts_the_documented_json_and_the_receiver_verifies_the_signature()
    {
        _receiver.Secret = "hook-secret-123";
        var channel = Channel("webhook", _receiver.Url("/hooks/uptime"), secret: "hook-secret-123");

        var outcome = await _kit.Sender("webhook").SendAsync(channel, Down(NastyName), CancellationToken.None);

        Assert.Equal(UptimeWatch.Alerting.DeliveryOutcome.Ok(200), outcome);
        var hook = _receiver.Single();
        Assert.Equal("POST", hook.Method);
        Assert.Equal("/hooks/uptime", hook.Path);
        Assert.True(hook.SignatureValid);
        Assert.StartsWith("application/json", hook.Header("Content-Type"));
        Assert.Equal("down", hook.Header("X-UptimeWatch-Event"));
        Assert.Equal("alert:7:down:ops", hook.Header("Idempotency-Key"));
        Assert.True(long.TryParse(hook.Header("X-UptimeWatch-Timestamp"), out var unix) && unix > 1_700_000_000);
        Assert.StartsWith("UptimeWatch/", hook.Header("User-Agent"));

        var json = hook.Json;
        Assert.Equal("down", json.GetProperty("event").GetString());
        Assert.Equal(7, json.GetProperty("incidentId").GetInt64());
        Assert.Equal("alert:7:down:ops", json.GetProperty("key").GetString());
        Assert.Equal("checkout-api", json.GetProperty("monitor").GetProperty("slug").GetString());
        Assert.Equal(NastyName, json.GetProperty("monitor").GetProperty("name").GetString());
        Assert.Equal("https://shop.example.com/health", json.GetProperty("monitor").GetProperty("target").GetString());
        Assert.Equal("down", json.GetProperty("status").GetString());
        Assert.Equal("up", json.GetProperty("previousStatus").GetString());
        Assert.Equal(At, json.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(At, json.GetProperty("incidentStartedAt").GetDateTimeOffset());
        Assert.Equal("https://status.example.com/m/checkout-api", json.GetProperty("statusPageUrl").GetString());
        Assert.Equal($"[DOWN] {NastyName}", json.GetProperty("title").GetString());
        // Readable raw bytes: only the quotes are escaped.
        Assert.Contains("\"name\":\"<b>&\\\"x\\\"</b>\"", hook.Text);
    }

    [Fact]
    public async Task Webhook_signature_does_not_verify_with_another_secret()
    {
        _receiver.Secret = "the-receivers-secret";
        var channel = Channel("webhook", _receiver.Url("/h"), secret: "a-different-secret");

        await _kit.Sender("webhook").SendAsync(channel, Down(), CancellationToken.None);

        Assert.False(_receiver.Single().SignatureValid);
    }

    [Fact]
    public async Task Webhook_without_a_secret_sends_no_signature_header()
    {
        await _kit.Sender("webhook").SendAsync(Channel("webhook", _receiver.Url("/h")), Down(), CancellationToken.None);

        var hook = _receiver.Single();
        Assert.Null(hook.Header("X-UptimeWatch-Signature"));
        Assert.Equal("alert:7:down:ops", hook.Header("Idempotency-Key"));
    }

    [Fact]
    public async Task Slack_gets_text_and_blocks_with_the_name_escaped_for_mrkdwn()
    {
        var outcome = await _kit.Sender("slack").SendAsync(Channel("slack", _receiver.Url("/services/T0/B0/XYZ")), Down(NastyName), CancellationToken.None);

        Assert.True(outcome.Delivered);
        var hook = _receiver.Single();
        Assert.Equal("/services/T0/B0/XYZ", hook.Path);
        var json = hook.Json;
        Assert.Contains("[DOWN] &lt;b&gt;&amp;\"x\"&lt;/b&gt;", json.GetProperty("text").GetString());
        var blocks = json.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("section", blocks[0].GetProperty("type").GetString());
        Assert.Equal("mrkdwn", blocks[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Contains("&lt;b&gt;", blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.DoesNotContain("<b>", hook.Text);
        var fields = blocks[1].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.Contains(fields, f => f!.StartsWith("*Reason*\nHTTP 503", StringComparison.Ordinal));
        Assert.Contains("<https://status.example.com/m/checkout-api|Status page>", blocks[2].GetRawText());
    }

    [Fact]
    public async Task Discord_gets_an_embed_coloured_by_status_with_mentions_switched_off()
    {
        var url = _receiver.Url("/api/webhooks/1/abc");
        await _kit.Sender("discord").SendAsync(Channel("discord", url), Down(NastyName), CancellationToken.None);
        await _kit.Sender("discord").SendAsync(Channel("discord", url), Recovered(TimeSpan.FromMinutes(12)), CancellationToken.None);

        var down = _receiver.Received[0].Json;
        var embed = down.GetProperty("embeds")[0];
        Assert.Equal(0xE74C3C, embed.GetProperty("color").GetInt32());
        Assert.Equal($"[DOWN] {NastyName}", embed.GetProperty("title").GetString());
        Assert.Equal(0, down.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());
        Assert.Equal("https://status.example.com/m/checkout-api", embed.GetProperty("url").GetString());
        Assert.Contains(embed.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "Reason");

        var recovered = _receiver.Received[1].Json.GetProperty("embeds")[0];
        Assert.Equal(0x2ECC71, recovered.GetProperty("color").GetInt32());
        Assert.Contains("after 12 min down", recovered.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Discord_markdown_in_a_name_shows_as_typed_and_urls_stay_links()
    {
        await _kit.Sender("discord").SendAsync(Channel("discord", _receiver.Url("/api/webhooks/1/abc")),
            Down("*shop*_api_ @everyone") with { Target = "https://shop.example.com/my_app/health" }, CancellationToken.None);

        var embed = _receiver.Single().Json.GetProperty("embeds")[0];
        Assert.StartsWith(@"\*shop\*\_api\_ @everyone is down.", embed.GetProperty("description").GetString());
        Assert.Contains(embed.GetProperty("fields").EnumerateArray(),
            f => f.GetProperty("value").GetString() == "https://shop.example.com/my_app/health");
    }

    [Fact]
    public async Task Teams_gets_a_message_with_an_adaptive_card_attachment()
    {
        await _kit.Sender("teams").SendAsync(Channel("teams", _receiver.Url("/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t")),
            Down(NastyName), CancellationToken.None);

        var hook = _receiver.Single();
        Assert.Equal("?sig=s3cr3t", hook.Query);
        var json = hook.Json;
        Assert.Equal("message", json.GetProperty("type").GetString());
        var attachment = json.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        var title = card.GetProperty("body")[0];
        Assert.Equal($"[DOWN] {NastyName}", Markdown.ToPlainText(title.GetProperty("text").GetString()!).TrimEnd('\n'));
        Assert.Equal("Attention", title.GetProperty("color").GetString());
        Assert.Equal("FactSet", card.GetProperty("body")[2].GetProperty("type").GetString());
        Assert.Equal("Action.OpenUrl", card.GetProperty("actions")[0].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("[click](https://evil.example.com)")]
    [InlineData("<b>x</b>")]
    [InlineData("*bold* _it_ `code` ![img](https://evil.example.com/a.png) <https://evil.example.com> &amp;")]
    [InlineData("1. first\n- second\n# third")]
    public async Task Teams_shows_markdown_and_html_in_user_text_as_typed_and_makes_no_link(string hostile)
    {
        await _kit.Sender("teams").SendAsync(Channel("teams", _receiver.Url("/workflows/abc")),
            Down(hostile, reason: $"HTTP 503: {hostile}"), CancellationToken.None);

        var card = _receiver.Single().Json.GetProperty("attachments")[0].GetProperty("content");
        var body = card.GetProperty("body");
        var facts = body[2].GetProperty("facts").EnumerateArray().ToList();
        // Teams renders card text as Markdown (CommonMark, as Markdig does): what a reader sees is the rendered text.
        Assert.Equal($"[DOWN] {hostile}", Rendered(body[0].GetProperty("text").GetString()!));
        Assert.Equal($"{hostile} is down.", Rendered(body[1].GetProperty("text").GetString()!));
        Assert.Contains(facts, f => Rendered(f.GetProperty("title").GetString()!) == "Reason"
            && Rendered(f.GetProperty("value").GetString()!) == $"HTTP 503: {hostile}");
        var texts = new[] { body[0].GetProperty("text").GetString()!, body[1].GetProperty("text").GetString()! }
            .Concat(facts.SelectMany(f => new[] { f.GetProperty("title").GetString()!, f.GetProperty("value").GetString()! }));
        foreach (var text in texts)
        {
            var html = Markdown.ToHtml(text);
            Assert.DoesNotContain("<a ", html);
            Assert.DoesNotContain("<img", html);
            Assert.DoesNotContain("<b>", html);
            Assert.DoesNotContain("<em>", html);
        }
    }

    private static string Rendered(string markdown) => Markdown.ToPlainText(markdown).TrimEnd('\n');

    [Fact]
    public async Task Telegram_calls_sendMessage_on_the_bot_path_with_escaped_html()
    {
        var channel = Channel("telegram", _receiver.BaseUrl, secret: "123456:ABC-def_ghi", chatId: "-1001234567890");

        var outcome = await _kit.Sender("telegram").SendAsync(channel, Down(NastyName), CancellationToken.None);

        Assert.True(outcome.Delivered);
        var hook = _receiver.Single();
        Assert.Equal("POST", hook.Method);
        Assert.Equal("/bot123456:ABC-def_ghi/sendMessage", hook.Path);
        var json = hook.Json;
        Assert.Equal("-1001234567890", json.GetProperty("chat_id").GetString());
        Assert.Equal("HTML", json.GetProperty("parse_mode").GetString());
        var text = json.GetProperty("text").GetString()!;
        Assert.StartsWith("<b>[DOWN] &lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;</b>\n", text);
        Assert.DoesNotContain(NastyName, text);
        Assert.Contains("<a href=\"https://status.example.com/m/checkout-api\">Status page</a>", text);
    }

    [Fact]
    public async Task Ntfy_posts_plain_text_to_the_topic_with_title_priority_tags_and_token()
    {
        var channel = Channel("ntfy", _receiver.Url("/uptime-alerts"), secret: "tk_abcdefg");

        await _kit.Sender("ntfy").SendAsync(channel, Down(NastyName), CancellationToken.None);

        var hook = _receiver.Single();
        Assert.Equal("/uptime-alerts", hook.Path);
        Assert.Equal($"[DOWN] {NastyName}", hook.Header("Title"));
        Assert.Equal("high", hook.Header("Priority"));
        Assert.Equal("rotating_light,uptimewatch", hook.Header("Tags"));
        Assert.Equal("https://status.example.com/m/checkout-api", hook.Header("Click"));
        Assert.Equal("Bearer tk_abcdefg", hook.Header("Authorization"));
        Assert.StartsWith("text/plain", hook.Header("Content-Type"));
        Assert.StartsWith($"{NastyName} is down.", hook.Text);
        Assert.Contains("Reason: HTTP 503", hook.Text);
    }

    [Fact]
    public async Task Ntfy_title_outside_ascii_is_sent_as_an_encoded_word()
    {
        await _kit.Sender("ntfy").SendAsync(Channel("ntfy", _receiver.Url("/t")), Down("Café ☕"), CancellationToken.None);

        var title = _receiver.Single().Header("Title")!;
        Assert.StartsWith("=?UTF-8?B?", title);
        Assert.Equal("[DOWN] Café ☕", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(title[10..^2])));
    }
}
