using Microsoft.Extensions.Configuration;
using UptimeWatch.Agents;
using UptimeWatch.Configuration;
using UptimeWatch.Tests.Agents;

namespace UptimeWatch.Tests.Configuration;

/// <summary><c>Probing:Canaries</c>: the targets a location checks to tell "the internet is gone" from "a target is down".</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class CanarySettingsTests
{
    private static UptimeWatchOptions Read(string json) =>
        UptimeWatchConfigReader.Read(new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build());

    [Fact]
    public void None_by_default()
    {
        var options = Read("""{ "UptimeWatch": {} }""");

        Assert.Empty(options.Errors);
        Assert.Empty(options.Probing.Canaries);
        Assert.Equal(30, options.Probing.CanaryIntervalSeconds);
    }

    [Fact]
    public void URLs_tcp_targets_and_bare_hosts_are_canaries_a_bare_host_on_port_443()
    {
        var options = Read("""
            { "UptimeWatch": { "Probing": {
                "Canaries": [ "https://example.com/", "tcp://192.0.2.1:53", "example.org", "example.net:8443", "2001:db8::1" ],
                "CanaryIntervalSeconds": 10 } } }
            """);

        Assert.Empty(options.Errors);
        Assert.Equal(["https://example.com/", "tcp://192.0.2.1:53/", "tcp://example.org:443/", "tcp://example.net:8443/", "tcp://[2001:db8::1]:443/"],
            options.Probing.Canaries.Select(c => c.Target));
        Assert.Equal([MonitorType.Http, MonitorType.Tcp, MonitorType.Tcp, MonitorType.Tcp, MonitorType.Tcp], options.Probing.Canaries.Select(c => c.Type));
        Assert.All(options.Probing.Canaries, c => Assert.Equal(5, c.TimeoutSeconds));
        Assert.Equal(10, options.Probing.CanaryIntervalSeconds);
        // Any answer from the far side proves the way out works, an error page too.
        var http = options.Probing.Canaries[0].Http!;
        Assert.True(http.ExpectedStatus.Contains(503));
        Assert.Equal(0, http.MaxRedirects);
    }

    [Fact]
    public void One_comma_separated_value_works_as_an_environment_variable_would_give_it()
    {
        var options = UptimeWatchConfigReader.Read(new ConfigurationBuilder()
            .AddInMemoryCollection([new("UptimeWatch:Probing:Canaries", " https://example.com , example.org ")]).Build());

        Assert.Empty(options.Errors);
        Assert.Equal(["https://example.com/", "tcp://example.org:443/"], options.Probing.Canaries.Select(c => c.Target));
    }

    [Fact]
    public void A_bad_canary_or_interval_is_refused_naming_the_key_and_the_value()
    {
        var options = Read("""
            { "UptimeWatch": { "Probing": { "Canaries": [ "ftp://example.com", "", "https://ok.example/", "user@host:22/path" ], "CanaryIntervalSeconds": "0" } } }
            """);

        Assert.Equal(
        [
            "Probing:CanaryIntervalSeconds \"0\" must be a whole number of seconds from 1 to 3600",
            "Probing:Canaries:0 \"ftp://example.com\" must be an http(s):// URL, tcp://host:port, or a host name (checked on port 443), for example \"https://example.com\"",
            "Probing:Canaries:1 \"\" must be an http(s):// URL, tcp://host:port, or a host name (checked on port 443), for example \"https://example.com\"",
            "Probing:Canaries:3 \"user@host:22/path\" must be an http(s):// URL, tcp://host:port, or a host name (checked on port 443), for example \"https://example.com\"",
        ], options.Errors);
    }

    [Fact]
    public void More_than_ten_are_refused()
    {
        var hosts = string.Join(", ", Enumerable.Range(1, 11).Select(i => $"\"host{i}.example\""));
        var options = Read($$"""{ "UptimeWatch": { "Probing": { "Canaries": [ {{hosts}} ] } } }""");

        Assert.Equal(["Probing:Canaries has 11 entries; at most 10: two or three on different networks are enough"], options.Errors);
    }

    [Fact]
    public void An_agent_reads_its_own_canaries_from_the_same_keys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("UptimeWatch:Agent:Server", "https://status.example.com"),
            new("UptimeWatch:Agent:Token", FakeAgentServer.Token),
            new("UptimeWatch:Agent:Location", "eu-west"),
            new("UptimeWatch:Probing:Canaries:0", "tcp://192.0.2.1:53"),
            new("UptimeWatch:Probing:Canaries:1", "nope://x"),
        ]).Build();
        var errors = new List<string>();

        Assert.Null(AgentSettings.Read(configuration, errors));
        Assert.Equal(["UptimeWatch:Probing:Canaries:1 \"nope://x\" must be an http(s):// URL, tcp://host:port, or a host name (checked on port 443), for example \"https://example.com\""],
            errors);
    }
}
