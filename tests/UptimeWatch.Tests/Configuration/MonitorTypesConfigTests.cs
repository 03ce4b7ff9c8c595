using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

/// <summary>The rules for monitor types, assertions, confirmation, flapping and maintenance settings.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class MonitorTypesConfigTests
{
    private static (MonitorDefinition? Monitor, List<string> Errors) Validate(params (string Field, string Value)[] fields)
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Name"] = "m" };
        foreach (var (field, value) in fields)
        {
            map[field] = value;
        }
        var errors = new List<FieldError>();
        var monitor = MonitorValidator.Validate(map, errors);
        return (monitor, errors.Select(e => e.ToString()).ToList());
    }

    [Theory]
    [InlineData("https://example.com/", "Http")]
    [InlineData("tcp://db.example.com:5432", "Tcp")]
    [InlineData("dns://example.com?type=AAAA", "Dns")]
    [InlineData("tls://mail.example.com:993", "Tls")]
    public void The_type_follows_the_url_scheme(string url, string type)
    {
        var (monitor, errors) = Validate(("Url", url));

        Assert.Empty(errors);
        Assert.Equal(Enum.Parse<MonitorType>(type), monitor!.Type);
    }

    [Fact]
    public void A_tls_url_without_a_port_checks_443() =>
        Assert.Equal(443, Validate(("Url", "tls://example.com")).Monitor!.Url!.Port);

    [Theory]
    [InlineData("tcp://db.example.com", "Url \"tcp://db.example.com\" needs a port: tcp://host:port")]
    [InlineData("dns://example.com?type=BOGUS", "Url \"dns://example.com?type=BOGUS\" has type=BOGUS, which is not a DNS record type")]
    [InlineData("dns://example.com?server=dns.example", "Url \"dns://example.com?server=dns.example\" has server=dns.example, which is not an IP address")]
    [InlineData("dns://example.com?expect=1.2.3.4", "Url \"dns://example.com?expect=1.2.3.4\" has the unknown parameter \"expect\"")]
    public void Bad_non_http_urls_say_what_is_wrong(string url, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Validate(("Url", url)).Errors));

    [Fact]
    public void Dns_settings_come_from_the_url()
    {
        var dns = Validate(("Url", "dns://Example.COM.?type=mx&server=127.0.0.1:5353&expected=mx1.example.com, mx2.example.com")).Monitor!.Dns!;

        Assert.Equal("example.com", dns.Name);
        Assert.Equal(DnsClient.QueryType.MX, dns.RecordType);
        Assert.Equal("127.0.0.1:5353", dns.Server);
        Assert.Equal(["mx1.example.com", "mx2.example.com"], dns.Expected);
    }

    [Fact]
    public void Http_only_fields_on_another_type_are_errors()
    {
        var (_, errors) = Validate(("Url", "tcp://db:5432"), ("Keyword", "ok"), ("Headers:Accept", "text/plain"), ("BearerToken", "secret-token"),
            ("AllowInsecureRedirects", "true"));

        Assert.Contains("Keyword \"ok\" applies only to http(s) monitors", errors);
        Assert.Contains("Headers applies only to http(s) monitors", errors);
        // A secret is never echoed back.
        Assert.Contains("BearerToken \"***\" applies only to http(s) monitors", errors);
        Assert.Contains("AllowInsecureRedirects \"true\" applies only to http(s) monitors", errors);
    }

    [Fact]
    public void A_type_that_contradicts_the_url_is_an_error() =>
        Assert.Equal(["Type \"tcp\" does not match the URL scheme \"https\""], Validate(("Type", "tcp"), ("Url", "https://example.com/")).Errors);

    [Fact]
    public void A_push_monitor_needs_no_url_and_gets_a_default_grace()
    {
        var (monitor, errors) = Validate(("Type", "push"), ("IntervalSeconds", "86400"));

        Assert.Empty(errors);
        Assert.Null(monitor!.Url);
        Assert.Equal(8640, monitor.Push!.GraceSeconds);
    }

    [Fact]
    public void Push_monitor_mistakes_are_named()
    {
        var (_, errors) = Validate(("Type", "push"), ("Url", "https://example.com/"), ("TimeoutSeconds", "5"), ("PushToken", "short"));

        Assert.Contains("Url \"https://example.com/\" is not used by push monitors: UptimeWatch gives them a URL to call", errors);
        Assert.Contains("TimeoutSeconds \"5\" is not used by push monitors: they wait for a heartbeat (see GraceSeconds)", errors);
        Assert.Contains(errors, e => e.StartsWith("PushToken \"***\" must be 16 to 128", StringComparison.Ordinal));
    }

    [Fact]
    public void Http_assertions_are_parsed()
    {
        var http = Validate(
            ("Url", "https://api.example.com/health"), ("Method", "POST"), ("Body", "{\"probe\":true}"),
            ("Headers:X-Api-Key", "abc"), ("RequiredHeaders:Content-Type", "application/json"), ("KeywordAbsent", "error"),
            ("Json", "$.queue.depth < 100"), ("BasicAuth:Username", "monitor"), ("BasicAuth:Password", "s3cret"),
            ("IgnoreTlsErrors", "true"), ("AllowInsecureRedirects", "true")).Monitor!.Http!;

        Assert.Equal("POST", http.Method);
        Assert.Equal("abc", http.Headers["x-api-key"]);
        Assert.Equal("application/json", http.RequiredHeaders["Content-Type"]);
        Assert.Equal("error", http.KeywordAbsent);
        Assert.Equal(("$.queue.depth", "<"), (http.Json!.Path, http.Json.Operator));
        Assert.Equal(("monitor", "s3cret"), (http.BasicAuthUsername, http.BasicAuthPassword));
        Assert.True(http.IgnoreTlsErrors);
        Assert.True(http.AllowInsecureRedirects);
        Assert.False(Validate(("Url", "https://api.example.com/health")).Monitor!.Http!.AllowInsecureRedirects);
    }

    [Theory]
    [InlineData("status == \"UP\"", "is not an assertion like $.status == \"UP\"")]
    [InlineData("$.status = \"UP\"", "has the unknown operator \"=\"")]
    [InlineData("$.status == UP", "has the value UP, which is not JSON (quote strings: \"UP\")")]
    [InlineData("$.status ==", "needs a value after ==")]
    [InlineData("$..[?( == \"UP\"", "has an invalid JSONPath")]
    public void Bad_json_assertions_say_what_is_wrong(string assertion, string expected) =>
        Assert.Contains(expected, Assert.Single(Validate(("Url", "https://example.com/"), ("Json", assertion)).Errors));

    [Fact]
    public void A_body_with_get_and_half_a_basic_auth_are_errors()
    {
        var (_, errors) = Validate(("Url", "https://example.com/"), ("Body", "x"), ("BasicAuth:Username", "u"));

        Assert.Contains("Body \"x\" cannot be sent with Method GET: use POST, PUT or PATCH", errors);
        Assert.Contains("BasicAuth:Password is required when the other BasicAuth field is set", errors);
    }

    [Fact]
    public void Headers_the_probe_controls_and_unusable_credentials_are_errors()
    {
        var (_, errors) = Validate(("Url", "https://example.com/"), ("Headers:Connection", "keep-alive"), ("Headers:Content-Type", "text/plain"),
            ("BasicAuth:Username", "a:b"), ("BasicAuth:Password", "p"));

        Assert.Contains("Headers:Connection \"keep-alive\" is set by UptimeWatch itself for every check", errors);
        Assert.Contains("Headers:Content-Type \"text/plain\" is only sent with a Body", errors);
        Assert.Contains("BasicAuth:Username \"a:b\" must not contain ':' (Basic authentication cannot carry it)", errors);
        Assert.Equal(["BearerToken \"***\" must not contain line breaks"], Validate(("Url", "https://example.com/"), ("BearerToken", "abc\ndef")).Errors);
    }

    [Fact]
    public void Retry_interval_flapping_and_response_time_limits_are_checked()
    {
        var (_, errors) = Validate(("Url", "https://example.com/"), ("IntervalSeconds", "30"), ("RetryIntervalSeconds", "60"),
            ("Flapping:StartPercent", "10"), ("Flapping:StopPercent", "15"), ("MaxResponseMs", "0"));

        Assert.Contains("RetryIntervalSeconds \"60\" must not be longer than IntervalSeconds (30): it is for re-checking sooner", errors);
        Assert.Contains("Flapping:StopPercent \"15\" must be below Flapping:StartPercent (10)", errors);
        Assert.Contains("MaxResponseMs \"0\" must be a whole number of milliseconds, at least 1", errors);
    }

    [Fact]
    public void A_nested_setting_that_does_not_exist_is_named()
    {
        var (_, errors) = Validate(("Url", "https://example.com/"), ("Flapping:Start", "30"), ("Maintenance:0:Cron", "0 2 * * *"),
            ("Maintenance:0:DurationMinutes", "30"), ("Maintenance:0:Zone", "UTC"));

        Assert.Contains("Flapping:Start is not a setting of Flapping", errors);
        Assert.Contains("Maintenance:0:Zone is not a setting of Maintenance", errors);
    }

    [Fact]
    public void A_one_off_maintenance_window_covers_start_to_end()
    {
        var monitor = Validate(("Url", "https://example.com/"),
            ("Maintenance:0:Start", "2026-12-01T02:00:00Z"), ("Maintenance:0:End", "2026-12-01T03:00:00Z")).Monitor!;

        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-01T01:59:59Z")));
        Assert.True(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-01T02:00:00Z")));
        Assert.True(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-01T02:59:59Z")));
        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-01T03:00:00Z")));
    }

    [Fact]
    public void A_recurring_window_follows_its_time_zone()
    {
        // Sundays 02:00–03:00 in Berlin: 01:00–02:00 UTC in winter.
        var monitor = Validate(("Url", "https://example.com/"), ("Maintenance:0:Days", "Sun"), ("Maintenance:0:Time", "02:00"),
            ("Maintenance:0:DurationMinutes", "60"), ("Maintenance:0:TimeZone", "Europe/Berlin")).Monitor!;

        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-11-29T00:59:00Z")));
        Assert.True(monitor.InMaintenance(DateTimeOffset.Parse("2026-11-29T01:30:00Z")));
        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-11-29T02:00:00Z")));
        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-11-30T01:30:00Z")));
    }

    [Fact]
    public void A_cron_window_works_too()
    {
        var monitor = Validate(("Url", "https://example.com/"), ("Maintenance:0:Cron", "30 4 1 * *"), ("Maintenance:0:DurationMinutes", "15")).Monitor!;

        Assert.True(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-01T04:40:00Z")));
        Assert.False(monitor.InMaintenance(DateTimeOffset.Parse("2026-12-02T04:40:00Z")));
    }

    [Theory]
    [InlineData("Maintenance:0:Start", "tomorrow", "Maintenance:0:Start \"tomorrow\" is not a date and time like 2026-12-01T02:00:00Z")]
    [InlineData("Maintenance:0:Cron", "every night", "Maintenance:0:Cron \"every night\" is not a valid schedule")]
    [InlineData("Maintenance:0:TimeZone", "Mars/Olympus", "Maintenance:0:TimeZone \"Mars/Olympus\" is not a time zone name")]
    [InlineData("Maintenance:0:Days", "Funday", "Maintenance:0:Days \"Funday\" is not a list of weekdays")]
    public void Bad_maintenance_windows_say_what_is_wrong(string field, string value, string expected)
    {
        var fields = new List<(string, string)> { ("Url", "https://example.com/"), (field, value) };
        if (field.EndsWith("Start", StringComparison.Ordinal))
        {
            fields.Add(("Maintenance:0:End", "2026-12-01T03:00:00Z"));
        }
        else
        {
            fields.Add(("Maintenance:0:DurationMinutes", "30"));
            if (field.EndsWith("Days", StringComparison.Ordinal))
            {
                fields.Add(("Maintenance:0:Time", "02:00"));
            }
            else if (!field.EndsWith("Cron", StringComparison.Ordinal))
            {
                fields.Add(("Maintenance:0:Cron", "0 2 * * *"));
            }
        }

        Assert.Contains(Validate([.. fields]).Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
