using UptimeWatch.AdminConsole;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// Where secrets go when a target redirects: two sites on 127.0.0.1 with different ports are different origins, so
/// the second one records what a foreign host would receive.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeRedirectTests : IAsyncLifetime
{
    private TargetServer _first = null!;
    private TargetServer _second = null!;
    private readonly ProbeHost _probe = ProbeHost.TrustingTestCa();

    public async Task InitializeAsync()
    {
        _first = await TargetServer.StartAsync();
        _second = await TargetServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _probe.Dispose();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    /// <summary>X-Api-Key, the usual credential headers, and one header for each word that makes the API mask a header.</summary>
    private static readonly string[] SecretHeaderNames =
    [
        "X-Api-Key", "Authorization", "Proxy-Authorization", "Cookie",
        .. SecretHeaders.Words.Select(w => $"X-My-{w}"),
    ];

    private static (string, string?)[] WithSecretHeaders(Uri url, params (string, string?)[] more) =>
    [
        ("Url", url.ToString()),
        ("Headers:X-Trace", "trace-1"),
        .. SecretHeaderNames.Select(name => ($"Headers:{name}", (string?)$"secret-{name}")),
        .. more,
    ];

    private static Uri RedirectVia(Uri redirector, Uri to) => new(redirector, "/redirect?to=" + Uri.EscapeDataString(to.ToString()));

    [Fact]
    public void Every_header_used_here_is_one_the_admin_api_masks()
    {
        // The probe and the masking read one list: a header shown as "********" is never sent to another origin.
        Assert.All(SecretHeaderNames, name => Assert.True(MonitorJson.IsSecret($"Headers:{name}"), name));
        Assert.False(MonitorJson.IsSecret("Headers:X-Trace"));
    }

    [Fact]
    public async Task Secret_headers_are_not_sent_to_a_redirect_on_another_origin()
    {
        var result = await _probe.CheckAsync(WithSecretHeaders(RedirectVia(_first.Url("/"), _second.Url("/echo"))));

        Assert.True(result.Success, result.Error);
        var received = _second.LastEcho ?? throw new InvalidOperationException("the other origin was not called");
        Assert.All(SecretHeaderNames, name => Assert.False(received.Headers.ContainsKey(name), $"{name} reached the other origin"));
        Assert.Equal("trace-1", received.Headers["X-Trace"]);
    }

    [Fact]
    public async Task Secret_headers_follow_a_redirect_on_the_same_origin()
    {
        var result = await _probe.CheckAsync(WithSecretHeaders(RedirectVia(_first.Url("/"), _first.Url("/echo"))));

        Assert.True(result.Success, result.Error);
        var received = _first.LastEcho ?? throw new InvalidOperationException("/echo was not called");
        Assert.All(SecretHeaderNames, name => Assert.Equal($"secret-{name}", received.Headers[name]));
    }

    [Fact]
    public async Task A_redirect_from_https_to_http_is_refused_and_the_http_site_gets_nothing()
    {
        await using var secure = await HttpsTarget.StartAsync(TestCertificates.Issue("127.0.0.1"));

        var result = await _probe.CheckAsync(WithSecretHeaders(RedirectVia(secure.Url(), _second.Url("/echo?q=private"))));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.BadRedirect, result.Failure);
        Assert.Contains("refused an insecure redirect from https to http", result.Error);
        Assert.Contains("AllowInsecureRedirects", result.Error);
        // Where it pointed, but not its path or query: those may carry a token.
        Assert.DoesNotContain("private", result.Error);
        Assert.Null(_second.LastEcho);
    }

    [Fact]
    public async Task With_AllowInsecureRedirects_a_redirect_from_https_to_http_is_followed_without_the_secrets()
    {
        await using var secure = await HttpsTarget.StartAsync(TestCertificates.Issue("127.0.0.1"));

        var result = await _probe.CheckAsync(WithSecretHeaders(RedirectVia(secure.Url(), _second.Url("/echo")), ("AllowInsecureRedirects", "true")));

        Assert.True(result.Success, result.Error);
        var received = _second.LastEcho ?? throw new InvalidOperationException("the http site was not called");
        Assert.All(SecretHeaderNames, name => Assert.False(received.Headers.ContainsKey(name), $"{name} was sent over http"));
    }
}
