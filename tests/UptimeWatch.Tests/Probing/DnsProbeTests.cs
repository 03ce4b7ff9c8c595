using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>The real DNS probe, wired as the host wires it, asking a hand-built DNS server on 127.0.0.1.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class DnsProbeTests : IAsyncLifetime
{
    private FakeDnsServer _dns = null!;
    private ProbeHost _host = null!;
    private ProbeRunner _probe = null!;

    public Task InitializeAsync()
    {
        // The addresses below are only record values inside answers: nothing ever connects to them.
        _dns = new FakeDnsServer()
            .A("example.test", "10.0.0.1")
            .A("multi.test", "10.0.0.1", "10.0.0.2")
            .Aaaa("six.test", "2001:db8::1")
            .Cname("alias.test", "example.test")
            .Mx("example.test", 10, "mail.example.test")
            .Txt("example.test", "v=spf1 ", "-all");
        _host = ProbeHost.Create();
        _probe = _host.Runner;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _dns.DisposeAsync();
    }

    private MonitorDefinition Monitor(string name, string type = "A", string? expected = null, int timeoutSeconds = 2) =>
        TestMonitors.Define(
            ("Url", $"dns://{name}?type={type}&server={_dns.Server}" + (expected is null ? "" : "&expected=" + Uri.EscapeDataString(expected))),
            ("TimeoutSeconds", timeoutSeconds.ToString()));

    private Task<ProbeResult> CheckAsync(MonitorDefinition monitor) => _probe.CheckAsync(monitor, CancellationToken.None).AsTask();

    [Fact]
    public async Task A_name_with_an_A_record_is_up()
    {
        var result = await CheckAsync(Monitor("example.test"));

        Assert.Equal(Verdict.Up, result.Verdict);
        Assert.Null(result.Error);
        Assert.InRange(result.ElapsedMs, 0, 2000);
    }

    [Fact]
    public async Task Every_check_asks_the_server_again()
    {
        var monitor = Monitor("example.test");

        await CheckAsync(monitor);
        await CheckAsync(monitor);

        Assert.Equal(2, _dns.Queries);
    }

    [Fact]
    public async Task An_expected_address_among_the_answers_is_up()
    {
        var result = await CheckAsync(Monitor("multi.test", expected: "192.0.2.7,10.0.0.2"));

        Assert.Equal(Verdict.Up, result.Verdict);
    }

    [Fact]
    public async Task An_address_other_than_the_expected_one_is_down_naming_both()
    {
        var result = await CheckAsync(Monitor("example.test", expected: "192.0.2.7"));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.DnsMismatch, result.Failure);
        Assert.Equal("example.test A is 10.0.0.1, expected 192.0.2.7", result.Error);
    }

    [Fact]
    public async Task Several_answers_and_expected_values_are_listed_in_the_mismatch()
    {
        var result = await CheckAsync(Monitor("multi.test", expected: "192.0.2.7,192.0.2.8"));

        Assert.Equal("multi.test A is 10.0.0.1 and 10.0.0.2, expected 192.0.2.7 or 192.0.2.8", result.Error);
    }

    [Fact]
    public async Task IPv6_addresses_are_compared_as_addresses_not_text()
    {
        var result = await CheckAsync(Monitor("six.test", type: "AAAA", expected: "2001:DB8:0:0::1"));

        Assert.Equal(Verdict.Up, result.Verdict);
    }

    [Fact]
    public async Task An_unknown_name_is_down_with_nxdomain_and_the_server()
    {
        var result = await CheckAsync(Monitor("missing.test"));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.DnsFailure, result.Failure);
        Assert.Equal($"missing.test does not exist (NXDOMAIN) at {_dns.Server}", result.Error);
    }

    [Fact]
    public async Task A_server_failure_is_down_with_the_response_code()
    {
        var result = await CheckAsync(Monitor(FakeDnsServer.ServFailName));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.DnsFailure, result.Failure);
        Assert.Equal($"server failure (SERVFAIL) for broken.test A at {_dns.Server}", result.Error);
    }

    [Fact]
    public async Task A_name_without_records_of_the_type_is_down()
    {
        var result = await CheckAsync(Monitor("example.test", type: "AAAA"));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal($"example.test has no AAAA records at {_dns.Server}", result.Error);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_a_timeout_within_the_deadline()
    {
        var result = await CheckAsync(Monitor(FakeDnsServer.HangName, timeoutSeconds: 2));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal($"no DNS answer within 2 s from {_dns.Server}", result.Error);
        Assert.InRange(result.ElapsedMs, 1500, 4000);
    }

    [Fact]
    public async Task A_port_where_no_DNS_server_listens_gets_no_answer_in_time()
    {
        // UDP has no connection to refuse: a socket held bound that never reads takes the query and says nothing
        // (and no DNS server started by another test can take its port meanwhile).
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var monitor = TestMonitors.Define(("Url", $"dns://example.test?server=127.0.0.1:{port}"), ("TimeoutSeconds", "1"));

        var result = await CheckAsync(monitor);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal($"no DNS answer within 1 s from 127.0.0.1:{port}", result.Error);
        Assert.InRange(result.ElapsedMs, 500, 3000);
    }

    [Fact]
    public async Task A_TXT_record_is_compared_as_its_whole_text()
    {
        var up = await CheckAsync(Monitor("example.test", type: "TXT", expected: "v=spf1 -all"));
        var down = await CheckAsync(Monitor("example.test", type: "TXT", expected: "v=spf1 +all"));

        Assert.Equal(Verdict.Up, up.Verdict);
        Assert.Equal(Verdict.Down, down.Verdict);
        Assert.Equal("example.test TXT is \"v=spf1 -all\", expected \"v=spf1 +all\"", down.Error);
    }

    /// <summary>MX (ignoring case and the final dot) and CNAME answers are compared as host names.</summary>
    [Theory]
    [InlineData("example.test", "MX", "MAIL.Example.test.", "mx.example.test", "example.test MX is mail.example.test, expected mx.example.test")]
    [InlineData("alias.test", "CNAME", "example.test", "other.test", "alias.test CNAME is example.test, expected other.test")]
    public async Task A_host_name_record_is_compared_as_a_host_name(string name, string type, string matching, string other, string error)
    {
        var up = await CheckAsync(Monitor(name, type: type, expected: matching));
        var down = await CheckAsync(Monitor(name, type: type, expected: other));

        Assert.Equal(Verdict.Up, up.Verdict);
        Assert.Equal(error, down.Error);
    }

    [Fact]
    public async Task An_A_query_answered_only_with_an_alias_is_down_and_names_the_alias_target()
    {
        var result = await CheckAsync(Monitor("alias.test"));

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal($"alias.test has no A records at {_dns.Server} (it is an alias of example.test)", result.Error);
    }
}
