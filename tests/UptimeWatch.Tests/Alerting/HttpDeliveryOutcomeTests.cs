using UptimeWatch.Alerting;
using static UptimeWatch.Tests.Alerting.ChannelTestKit;

namespace UptimeWatch.Tests.Alerting;

/// <summary>What a receiver's answer (or silence) becomes: delivered, worth retrying, or permanent — and no secret in the error.</summary>
public sealed class HttpDeliveryOutcomeTests : IAsyncLifetime, IDisposable
{
    private readonly ChannelTestKit _kit = new();
    private HookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    public void Dispose() => _kit.Dispose();

    private Task<DeliveryOutcome> SendWebhookAsync(CancellationToken ct = default) =>
        _kit.Sender("webhook").SendAsync(Channel("webhook", _receiver.Url("/hook"), secret: "webhook-secret"), Down(), ct);

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task A_2xx_answer_is_delivered_with_its_status(int status)
    {
        _receiver.Reply(new HookReply(status));

        Assert.Equal(DeliveryOutcome.Ok(status), await SendWebhookAsync());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    [InlineData(425)]
    public async Task A_server_error_is_retryable_with_the_status_and_an_excerpt_of_the_body(int status)
    {
        _receiver.Reply(new HookReply(status, "upstream   is\n sleeping"));

        var outcome = await SendWebhookAsync();

        Assert.False(outcome.Delivered);
        Assert.False(outcome.Permanent);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Contains($"HTTP {status}", outcome.Error);
        Assert.Contains("upstream is sleeping", outcome.Error);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task Any_other_4xx_is_permanent(int status)
    {
        _receiver.Reply(new HookReply(status, "no_service"));

        var outcome = await SendWebhookAsync();

        Assert.False(outcome.Delivered);
        Assert.True(outcome.Permanent);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Contains("no_service", outcome.Error);
    }

    [Fact]
    public async Task A_429_is_retryable_after_the_seconds_the_receiver_asked_for()
    {
        _receiver.Reply(new HookReply(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "37" }));

        var outcome = await SendWebhookAsync();

        Assert.False(outcome.Permanent);
        Assert.Equal(429, outcome.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(37), outcome.RetryAfter);
    }

    [Fact]
    public async Task A_429_with_an_http_date_retries_after_that_date()
    {
        var when = DateTimeOffset.UtcNow.AddMinutes(10);
        _receiver.Reply(new HookReply(429, "", new Dictionary<string, string> { ["Retry-After"] = when.ToString("R") }));

        var outcome = await SendWebhookAsync();

        Assert.InRange(outcome.RetryAfter!.Value, TimeSpan.FromMinutes(8), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_429_with_fractional_seconds_as_discord_sends_them_is_understood()
    {
        _receiver.Reply(new HookReply(429, "{\"retry_after\":1.5}", new Dictionary<string, string> { ["Retry-After"] = "1.5" }));

        Assert.Equal(TimeSpan.FromSeconds(1.5), (await SendWebhookAsync()).RetryAfter);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_is_permanent()
    {
        _receiver.Reply(new HookReply(301, "", new Dictionary<string, string> { ["Location"] = "https://elsewhere.example.com/secret-path" }));

        var outcome = await SendWebhookAsync();

        Assert.Single(_receiver.Received);
        Assert.True(outcome.Permanent);
        Assert.Equal(301, outcome.StatusCode);
        Assert.Contains("https://elsewhere.example.com/…", outcome.Error);
        Assert.DoesNotContain("secret-path", outcome.Error);
    }

    [Fact]
    public async Task A_receiver_that_never_answers_is_cut_off_by_the_deadline_and_retryable()
    {
        _receiver.Reply(new HookReply(200, Hang: true));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var outcome = await SendWebhookAsync(deadline.Token);

        Assert.False(outcome.Delivered);
        Assert.False(outcome.Permanent);
        Assert.Null(outcome.StatusCode);
        Assert.StartsWith("timed out", outcome.Error);
        Assert.Contains(_receiver.BaseUrl.Authority, outcome.Error);
    }

    [Fact]
    public async Task Nothing_listening_is_retryable()
    {
        using var closed = ClosedPort.Take();
        var channel = Channel("webhook", new Uri($"http://127.0.0.1:{closed.Port}/hook"));

        var outcome = await _kit.Sender("webhook").SendAsync(channel, Down(), CancellationToken.None);

        Assert.False(outcome.Permanent);
        Assert.Null(outcome.StatusCode);
        Assert.StartsWith("could not reach http://127.0.0.1:", outcome.Error);
    }

    [Fact]
    public async Task Only_the_first_4_KiB_of_an_error_body_is_read_and_a_short_excerpt_kept()
    {
        _receiver.Reply(new HookReply(500, new string('e', 1_000_000)));

        var outcome = await SendWebhookAsync();

        Assert.Equal(500, outcome.StatusCode);
        Assert.True(outcome.Error!.Length < 500, $"error is {outcome.Error.Length} characters");
    }

    [Theory]
    [InlineData("slack", "/services/T000/B000/XXXXSECRETXXXX")]
    [InlineData("discord", "/api/webhooks/123/XXXXSECRETXXXX")]
    [InlineData("teams", "/workflows/abc/invoke?sig=XXXXSECRETXXXX")]
    public async Task A_webhook_url_is_a_secret_and_never_appears_in_an_error(string type, string path)
    {
        var url = _receiver.Url(path);
        // A receiver that echoes the request URL back in its error body.
        _receiver.Reply(new HookReply(404, $"no such hook: {url.AbsoluteUri} ({url.PathAndQuery})"));

        var outcome = await _kit.Sender(type).SendAsync(Channel(type, url), Down(), CancellationToken.None);

        Assert.True(outcome.Permanent);
        Assert.DoesNotContain("XXXXSECRETXXXX", outcome.Error);
        Assert.Contains($"http://{_receiver.BaseUrl.Authority}/…", outcome.Error);
    }

    [Fact]
    public async Task A_bot_token_never_appears_in_an_error()
    {
        const string token = "987654:SECRET-token_value";
        _receiver.Reply(new HookReply(401, $"{{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized: {token}\"}}"));
        var channel = Channel("telegram", _receiver.BaseUrl, secret: token, chatId: "42");

        var outcome = await _kit.Sender("telegram").SendAsync(channel, Down(), CancellationToken.None);

        Assert.True(outcome.Permanent);
        Assert.Contains("Unauthorized", outcome.Error);
        Assert.DoesNotContain("SECRET-token_value", outcome.Error);
        Assert.DoesNotContain("987654", outcome.Error);
    }

    [Fact]
    public async Task A_timed_out_telegram_call_does_not_show_the_token_either()
    {
        _receiver.Reply(new HookReply(200, Hang: true));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var channel = Channel("telegram", _receiver.BaseUrl, secret: "111:tokentokentoken", chatId: "42");

        var outcome = await _kit.Sender("telegram").SendAsync(channel, Down(), deadline.Token);

        Assert.StartsWith("timed out", outcome.Error);
        Assert.DoesNotContain("tokentokentoken", outcome.Error);
    }
}
