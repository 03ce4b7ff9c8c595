using Microsoft.Extensions.Hosting;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>The real probe, wired as the host wires it, against a real Kestrel site on 127.0.0.1.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private ProbeHost _host = null!;
    private ProbeRunner _probe = null!;

    public async Task InitializeAsync()
    {
        _target = await TargetServer.StartAsync();
        _host = ProbeHost.Create();
        _probe = _host.Runner;
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _target.DisposeAsync();
    }

    private static MonitorDefinition Monitor(Uri url, string? keyword = null, int timeoutSeconds = 5, string expected = "200-299",
        int maxRedirects = 5) =>
        TestMonitors.Define(("Url", url.ToString()), ("Keyword", keyword), ("TimeoutSeconds", timeoutSeconds.ToString()),
            ("ExpectedStatus", expected), ("MaxRedirects", maxRedirects.ToString()));

    /// <summary>Checks <paramref name="monitor"/>: a failure of <paramref name="failure"/> that says <paramref name="error"/>; returns the result.</summary>
    private async Task<ProbeResult> AssertFailsAsync(MonitorDefinition monitor, FailureKind failure, string error)
    {
        var result = await _probe.CheckAsync(monitor, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(failure, result.Failure);
        Assert.Equal(error, result.Error);
        return result;
    }

    [Fact]
    public async Task A_200_is_a_success_with_status_and_time()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/ok")), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        Assert.Equal(200, result.HttpStatus);
        Assert.InRange(result.ElapsedMs, 0, 5000);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task A_500_is_an_unexpected_status_with_the_code_in_the_message()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/status/500")), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(FailureKind.UnexpectedStatus, result.Failure);
        Assert.Equal(500, result.HttpStatus);
        Assert.Equal("HTTP 500 Internal Server Error, expected 200-299", result.Error);
    }

    [Fact]
    public async Task A_status_listed_in_expected_status_is_a_success()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/status/404"), expected: "200,404"), CancellationToken.None);

        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task A_keyword_present_in_the_body_is_a_success()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/text?body=status%3A%20ready"), keyword: "ready"), CancellationToken.None);

        Assert.True(result.Success, result.Error);
    }

    [Fact]
    public async Task A_missing_keyword_is_a_failure_that_names_the_keyword()
    {
        await AssertFailsAsync(Monitor(_target.Url("/text?body=status%3A%20starting"), keyword: "ready"), FailureKind.KeywordMissing,
            "keyword \"ready\" not found in the body");
    }

    [Fact]
    public async Task A_keyword_beyond_the_read_cap_is_not_found_and_the_message_says_why()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/big"), keyword: "needle"), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal("keyword \"needle\" not found in the first 1024 KiB of the body", result.Error);
    }

    [Fact]
    public async Task A_slow_target_hits_the_overall_deadline()
    {
        var result = await AssertFailsAsync(Monitor(_target.Url("/slow?ms=10000"), timeoutSeconds: 1), FailureKind.Timeout,
            "no complete response within 1 s (connected, but the server sent nothing)");
        Assert.InRange(result.ElapsedMs, 900, 5000);
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        using var closed = ClosedPort.Take();
        var port = closed.Port;

        await AssertFailsAsync(Monitor(new Uri($"http://127.0.0.1:{port}/")), FailureKind.ConnectionRefused,
            $"connection refused by 127.0.0.1:{port} (nothing is listening)");
    }

    [Fact]
    public async Task A_redirect_loop_stops_after_five_redirects_and_says_so()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/loop")), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(FailureKind.TooManyRedirects, result.Failure);
        Assert.StartsWith("more than 5 redirects", result.Error);
    }

    [Fact]
    public async Task Up_to_five_redirects_are_followed_to_the_final_page()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/chain/5"), keyword: "end of chain"), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        Assert.Equal(200, result.HttpStatus);
    }

    [Fact]
    public async Task With_redirects_off_the_redirect_itself_is_judged()
    {
        var result = await _probe.CheckAsync(Monitor(_target.Url("/chain/1"), expected: "302", maxRedirects: 0), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        Assert.Equal(302, result.HttpStatus);
    }

    [Fact]
    public async Task A_redirect_to_another_scheme_is_refused_with_its_target()
    {
        await AssertFailsAsync(Monitor(_target.Url("/to-ftp")), FailureKind.BadRedirect,
            "HTTP 302 redirects to \"ftp://127.0.0.1/file\", which is not an http(s) URL");
    }
}
