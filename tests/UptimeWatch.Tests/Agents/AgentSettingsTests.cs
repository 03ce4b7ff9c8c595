using Microsoft.Extensions.Configuration;
using UptimeWatch.Agents;

namespace UptimeWatch.Tests.Agents;

public sealed class AgentSettingsTests
{
    private static (AgentSettings? Settings, List<string> Errors) Read(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var errors = new List<string>();
        return (AgentSettings.Read(configuration, errors), errors);
    }

    private static (string, string)[] Valid(string server = "https://status.example.com") =>
    [
        ("UptimeWatch:Agent:Server", server),
        ("UptimeWatch:Agent:Token", FakeAgentServer.Token),
        ("UptimeWatch:Agent:Location", " eu-west "),
    ];

    [Theory]
    [InlineData("https://status.example.com", "wss://status.example.com/ws/agent")]
    [InlineData("http://127.0.0.1:5080/", "ws://127.0.0.1:5080/ws/agent")]
    [InlineData("https://example.com/uptime/", "wss://example.com/uptime/ws/agent")]
    public void The_socket_is_the_servers_address_with_ws_and_the_protocols_path_below_it(string server, string socket)
    {
        var (settings, errors) = Read(Valid(server));

        Assert.Empty(errors);
        Assert.Equal(new Uri(socket), settings!.SocketUri);
        Assert.Equal("eu-west", settings.Location);
        Assert.Equal(Path.GetFullPath("data"), settings.DataDirectory);
    }

    [Fact]
    public void Missing_settings_are_one_line_each_naming_the_key()
    {
        var (settings, errors) = Read();

        Assert.Null(settings);
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("UptimeWatch:Agent:Server is required", errors[0]);
        Assert.StartsWith("UptimeWatch:Agent:Token is required", errors[1]);
        Assert.StartsWith("UptimeWatch:Agent:Location is required", errors[2]);
    }

    [Theory]
    [InlineData("UptimeWatch:Agent:Server", "ftp://status.example.com", "UptimeWatch:Agent:Server \"ftp://status.example.com\" must be the server's http:// or https:// address")]
    [InlineData("UptimeWatch:Agent:Server", "status.example.com", "UptimeWatch:Agent:Server \"status.example.com\" must be")]
    [InlineData("UptimeWatch:Agent:Location", "eu west", "UptimeWatch:Agent:Location \"eu west\" must be 1 to 32 letters")]
    [InlineData("UptimeWatch:Agent:Token", "uw_0123456789abcdefghijklmnopqrstuv", "UptimeWatch:Agent:Token \"uw_012345678…\" is not an agent token")]
    [InlineData("UptimeWatch:Agent:Sever", "x", "UptimeWatch:Agent:Sever is not a known setting (did you mean UptimeWatch:Agent:Server?)")]
    [InlineData("UptimeWatch:Probing:SourceAddress", "not-an-ip", "UptimeWatch:Probing:SourceAddress \"not-an-ip\" must be an IP address")]
    [InlineData("UptimeWatch:DataDirectory", " ", "UptimeWatch:DataDirectory is empty")]
    public void A_bad_value_is_one_line_naming_the_key_and_the_value(string key, string value, string line)
    {
        var (settings, errors) = Read([.. Valid().Where(v => v.Item1 != key), (key, value)]);

        Assert.Null(settings);
        Assert.StartsWith(line, Assert.Single(errors));
    }

    [Fact]
    public void The_token_never_shows_in_the_settings_as_text()
    {
        var (settings, _) = Read(Valid());

        Assert.DoesNotContain(FakeAgentServer.Token, settings!.ToString());
    }

    [Fact]
    public void The_servers_reader_accepts_an_agent_section_so_that_one_file_serves_both()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Valid().Select(v => new KeyValuePair<string, string?>(v.Item1, v.Item2)))
            .Build();

        var options = UptimeWatch.Configuration.UptimeWatchConfigReader.Read(configuration);

        Assert.Empty(options.Errors);
    }
}
