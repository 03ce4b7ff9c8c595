using System.Text;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>What the probe sends: headers, body and credentials, as the target receives them.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeRequestTests : IAsyncLifetime
{
    private ProbedSite _site = null!;

    public async Task InitializeAsync() => _site = await ProbedSite.StartAsync(() => ProbeHost.Create());

    public async Task DisposeAsync() => await _site.DisposeAsync();

    private ReceivedRequest Received => _site.Target.LastEcho ?? throw new InvalidOperationException("/echo was not called");

    [Fact]
    public async Task Configured_headers_are_sent()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()),
            ("Headers:X-Api-Key", "k-123"), ("Headers:Accept", "application/json"));

        Assert.True(result.Success, result.Error);
        Assert.Equal("k-123", Received.Headers["X-Api-Key"]);
        Assert.Equal("application/json", Received.Headers["Accept"]);
    }

    [Fact]
    public async Task Every_check_asks_for_a_fresh_connection()
    {
        await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()));

        Assert.Equal("close", Received.Headers["Connection"]);
    }

    [Fact]
    public async Task A_json_body_is_sent_as_application_json()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()), ("Method", "POST"), ("Body", "{\"ping\":true}"));

        Assert.True(result.Success, result.Error);
        Assert.Equal("POST", Received.Method);
        Assert.Equal("{\"ping\":true}", Received.Body);
        Assert.Equal("application/json", Received.Headers["Content-Type"]);
    }

    [Fact]
    public async Task A_json_array_body_is_sent_as_application_json()
    {
        await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()), ("Method", "PUT"), ("Body", "[1, 2]"));

        Assert.Equal("application/json", Received.Headers["Content-Type"]);
        Assert.Equal("[1, 2]", Received.Body);
    }

    [Fact]
    public async Task Any_other_body_is_sent_as_utf8_text()
    {
        await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()), ("Method", "POST"), ("Body", "ping – über"));

        Assert.Equal("text/plain; charset=utf-8", Received.Headers["Content-Type"]);
        Assert.Equal("ping – über", Received.Body);
    }

    [Fact]
    public async Task A_configured_content_type_wins_over_the_guess()
    {
        await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()), ("Method", "POST"), ("Body", "<ping/>"),
            ("Headers:Content-Type", "application/xml"));

        Assert.Equal("application/xml", Received.Headers["Content-Type"]);
        Assert.Equal("<ping/>", Received.Body);
    }

    [Fact]
    public async Task Basic_auth_is_sent_as_an_authorization_header()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()),
            ("BasicAuth:Username", "monitor"), ("BasicAuth:Password", "pa:ss"));

        Assert.True(result.Success, result.Error);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("monitor:pa:ss")), Received.Headers["Authorization"]);
    }

    [Fact]
    public async Task A_bearer_token_is_sent_as_an_authorization_header()
    {
        await _site.Probe.CheckAsync(("Url", _site.Target.Url("/echo").ToString()), ("BearerToken", "t0ken"));

        Assert.Equal("Bearer t0ken", Received.Headers["Authorization"]);
    }

    [Fact]
    public async Task Credentials_are_not_sent_to_a_redirect_on_another_origin()
    {
        await using var other = await TargetServer.StartAsync();
        var away = _site.Target.Url("/redirect?to=" + Uri.EscapeDataString(other.Url("/echo").ToString()));

        var result = await _site.Probe.CheckAsync(("Url", away.ToString()), ("BearerToken", "t0ken"), ("Headers:X-Trace", "1"));

        Assert.True(result.Success, result.Error);
        var received = other.LastEcho!;
        Assert.False(received.Headers.ContainsKey("Authorization"));
        Assert.Equal("1", received.Headers["X-Trace"]);
    }

    [Fact]
    public async Task Credentials_follow_a_redirect_on_the_same_origin()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/redirect?to=/echo").ToString()), ("BearerToken", "t0ken"));

        Assert.True(result.Success, result.Error);
        Assert.Equal("Bearer t0ken", Received.Headers["Authorization"]);
    }

}
