using Microsoft.Extensions.Configuration;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class ConfigReaderTests
{
    private static UptimeWatchOptions Read(string json)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))
            .Build();
        return UptimeWatchConfigReader.Read(configuration);
    }

    private static UptimeWatchOptions ReadMonitors(params string[] monitors) =>
        Read($$"""{ "UptimeWatch": { "Monitors": [ {{string.Join(",", monitors)}} ] } }""");

    [Fact]
    public void A_minimal_monitor_gets_the_documented_defaults()
    {
        var options = ReadMonitors("""{ "Name": "Main API (EU)", "Url": "https://api.example.com/health" }""");

        Assert.Empty(options.Errors);
        var monitor = Assert.Single(options.Monitors);
        Assert.Equal("main-api-eu", monitor.Slug);
        Assert.Equal("GET", monitor.Http!.Method);
        Assert.Equal(60, monitor.IntervalSeconds);
        Assert.Equal(10, monitor.TimeoutSeconds);
        Assert.Equal("200-299", monitor.Http.ExpectedStatus.ToString());
        Assert.True(monitor.Public);
        Assert.Equal(2, monitor.FailureThreshold);
        Assert.Equal(1, monitor.SuccessThreshold);
        Assert.Null(monitor.Http.Keyword);
        Assert.Null(monitor.Group);
        Assert.Equal("data", options.DataDirectory);
    }

    [Fact]
    public void A_bad_url_is_reported_with_monitor_index_name_field_and_value()
    {
        var options = ReadMonitors(
            """{ "Name": "web", "Url": "https://example.com" }""",
            """{ "Name": "db", "Url": "https://example.com/db" }""",
            """{ "Name": "api", "Url": "htp://x" }""");

        Assert.Equal(["Monitors[2] \"api\": Url \"htp://x\" is not an absolute http(s) URL"], options.Errors);
    }

    [Theory]
    [InlineData("\"Url\": \"/relative/path\"", "Url \"/relative/path\" is not an absolute http(s) URL")]
    [InlineData("\"Url\": \"ftp://example.com/\"", "Url \"ftp://example.com/\" is not an absolute http(s) URL")]
    [InlineData("\"Method\": \"FETCH\"", "Method \"FETCH\" is not a supported HTTP method")]
    [InlineData("\"IntervalSeconds\": 0", "IntervalSeconds \"0\" must be a whole number of seconds from 1 to 86400")]
    [InlineData("\"IntervalSeconds\": \"soon\"", "IntervalSeconds \"soon\" must be a whole number of seconds from 1 to 86400")]
    [InlineData("\"IntervalSeconds\": 30, \"TimeoutSeconds\": 45", "TimeoutSeconds \"45\" must not be longer than IntervalSeconds (30)")]
    [InlineData("\"TimeoutSeconds\": 0", "TimeoutSeconds \"0\" must be a whole number of seconds, at least 1")]
    [InlineData("\"ExpectedStatus\": \"2xx\"", "ExpectedStatus \"2xx\" is not a list of status codes")]
    [InlineData("\"ExpectedStatus\": \"299-200\"", "ExpectedStatus \"299-200\" is not a list of status codes")]
    [InlineData("\"ExpectedStatus\": \"200,700\"", "ExpectedStatus \"200,700\" is not a list of status codes")]
    [InlineData("\"FailureThreshold\": 0", "FailureThreshold \"0\" must be a whole number from 1 to 100")]
    [InlineData("\"SuccessThreshold\": -1", "SuccessThreshold \"-1\" must be a whole number from 1 to 100")]
    [InlineData("\"Public\": \"yes\"", "Public \"yes\" must be true or false")]
    [InlineData("\"MaxRedirects\": 6", "MaxRedirects \"6\" must be a whole number from 0 to 5")]
    [InlineData("\"AllowInsecureRedirects\": \"sometimes\"", "AllowInsecureRedirects \"sometimes\" must be true or false")]
    [InlineData("\"AllowInsecureRedirect\": true", "AllowInsecureRedirect is not a monitor field (did you mean AllowInsecureRedirects?)")]
    [InlineData("\"Method\": \"HEAD\", \"Keyword\": \"ok\"", "Keyword \"ok\" cannot be checked with Method HEAD")]
    [InlineData("\"Keyword\": \"\"", "Keyword \"\" is empty")]
    [InlineData("\"IntervalSecond\": 30", "IntervalSecond is not a monitor field (did you mean IntervalSeconds?)")]
    public void Each_rule_names_the_monitor_the_field_and_the_value(string field, string expected)
    {
        var url = field.Contains("\"Url\"", StringComparison.Ordinal) ? "" : "\"Url\": \"https://example.com/\", ";
        var options = ReadMonitors($$"""{ "Name": "site", {{url}}{{field}} }""");

        var error = Assert.Single(options.Errors);
        Assert.StartsWith($"Monitors[0] \"site\": {expected}", error);
        Assert.Empty(options.Monitors);
    }

    [Fact]
    public void A_monitor_without_a_name_is_labelled_by_its_index()
    {
        var options = ReadMonitors("""{ "Url": "https://example.com/" }""");

        Assert.Equal(["Monitors[0]: Name is required"], options.Errors);
    }

    [Fact]
    public void Duplicate_names_and_colliding_slugs_are_errors()
    {
        var options = ReadMonitors(
            """{ "Name": "API", "Url": "https://a.example.com/" }""",
            """{ "Name": "api", "Url": "https://b.example.com/" }""",
            """{ "Name": "API!", "Url": "https://c.example.com/" }""");

        Assert.Equal(
        [
            "Monitors[1] \"api\": Name \"api\" is already used by Monitors[0]",
            "Monitors[2] \"API!\": Name \"API!\" gives the slug \"api\", already used by Monitors[0] \"API\"",
        ], options.Errors);
    }

    [Fact]
    public void Every_error_in_every_monitor_is_listed_at_once()
    {
        var options = ReadMonitors(
            """{ "Name": "one", "Url": "nope", "IntervalSeconds": 0 }""",
            """{ "Name": "two", "Url": "https://example.com/", "ExpectedStatus": "abc", "FailureThreshold": "x" }""");

        Assert.Equal(4, options.Errors.Count);
        Assert.Equal(2, options.Errors.Count(e => e.StartsWith("Monitors[0] \"one\"", StringComparison.Ordinal)));
        Assert.Equal(2, options.Errors.Count(e => e.StartsWith("Monitors[1] \"two\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_unset_timeout_follows_a_short_interval_down()
    {
        var options = ReadMonitors("""{ "Name": "fast", "Url": "https://example.com/", "IntervalSeconds": 5 }""");

        Assert.Empty(options.Errors);
        Assert.Equal(5, Assert.Single(options.Monitors).TimeoutSeconds);
    }

    [Fact]
    public void Method_is_case_insensitive_and_stored_upper_case()
    {
        var options = ReadMonitors("""{ "Name": "m", "Url": "https://example.com/", "Method": "post" }""");

        Assert.Equal("POST", Assert.Single(options.Monitors).Http!.Method);
    }

    [Fact]
    public void Unknown_and_out_of_range_settings_outside_monitors_are_errors_too()
    {
        var options = Read("""{ "UptimeWatch": { "DataDirectroy": "x", "Scheduler": { "MaxConcurrency": 0 } } }""");

        Assert.Contains("UptimeWatch:DataDirectroy is not a known setting (did you mean UptimeWatch:DataDirectory?)", options.Errors);
        Assert.Contains("Scheduler:MaxConcurrency \"0\" must be a whole number from 1 to 100000", options.Errors);
    }

    [Theory]
    [InlineData("0", "Live:MaxReplayEvents \"0\" must be a whole number from 1 to 100000")]
    [InlineData("many", "Live:MaxReplayEvents \"many\" must be a whole number from 1 to 100000")]
    public void Max_replay_events_out_of_range_is_an_error_naming_it(string value, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "Live": { "MaxReplayEvents": "{{value}}" } } }""");

        Assert.Contains(error, options.Errors);
    }

    [Fact]
    public void Max_replay_events_defaults_to_1000_and_can_be_set()
    {
        Assert.Equal(1000, Read("""{ "UptimeWatch": {} }""").Live.MaxReplayEvents);
        Assert.Equal(250, Read("""{ "UptimeWatch": { "Live": { "MaxReplayEvents": 250 } } }""").Live.MaxReplayEvents);
    }

    [Fact]
    public void ShowErrorDetails_is_off_by_default_and_must_be_true_or_false()
    {
        Assert.False(Read("""{ "UptimeWatch": {} }""").StatusPage.ShowErrorDetails);
        Assert.True(Read("""{ "UptimeWatch": { "StatusPage": { "ShowErrorDetails": true } } }""").StatusPage.ShowErrorDetails);
        Assert.Contains("StatusPage:ShowErrorDetails \"yes\" must be true or false",
            Read("""{ "UptimeWatch": { "StatusPage": { "ShowErrorDetails": "yes" } } }""").Errors);
    }

    [Fact]
    public void The_shipped_appsettings_json_is_valid_and_watches_uptimewatch_itself()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(TestPaths.RepositoryRoot, "appsettings.json"))
            .Build();

        var options = UptimeWatchConfigReader.Read(configuration);

        Assert.Empty(options.Errors);
        var self = Assert.Single(options.Monitors, m => m.Url!.AbsolutePath == "/healthz");
        Assert.Equal(new Uri(configuration["Urls"]!).Port, self.Url!.Port);
    }
}
