using Microsoft.Extensions.Configuration;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class AlertingConfigTests
{
    private static UptimeWatchOptions Read(string alerting, string monitors = "") =>
        UptimeWatchConfigReader.Read(new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
                $$"""{ "UptimeWatch": { "Alerting": {{alerting}}, "Monitors": [ {{monitors}} ] } }""")))
            .Build());

    private const string Hook = """ "Channels": { "ops-hook": { "Type": "webhook", "Url": "https://hooks.example.com/in", "Secret": "0123456789abcdef0123" } } """;

    [Fact]
    public void Defaults_and_a_monitors_own_rules_resolve_to_its_policy()
    {
        var options = Read($$"""{ {{Hook}}, "Defaults": { "RemindEveryMinutes": 30, "OnDegraded": true } }""",
            """{ "Name": "Api", "Url": "https://api.example.com/", "Alerts": { "OnRecovery": false } }, { "Name": "Web", "Url": "https://example.com/" }""");

        Assert.Empty(options.Errors);
        var api = AlertPolicy.Resolve(options.Monitors[0], options.Alerting);
        var web = AlertPolicy.Resolve(options.Monitors[1], options.Alerting);
        Assert.Equal((false, true, 30, "ops-hook"), (api.OnRecovery, api.OnDegraded, api.RemindEveryMinutes, string.Join(",", api.Channels!)));
        Assert.True(web.OnRecovery);
        var channel = Assert.Single(options.Alerting.Channels);
        Assert.Equal(("ops-hook", "webhook", "0123456789abcdef0123"), (channel.Name, channel.Type, channel.Secret));
    }

    [Fact]
    public void Every_alerting_mistake_is_named_with_its_value_and_secrets_are_never_echoed()
    {
        var options = Read("""
            {
              "PublicUrl": "status.example.com",
              "Channels": {
                "bad name!": { "Type": "webhook" },
                "pager": { "Type": "pagerduty", "Url": "https://x.example.com" },
                "hook": { "Type": "webhook", "Url": "ftp://x", "Secret": "short", "Secrett": "x" }
              },
              "Defaults": { "OnDwn": true, "RemindEveryMinutes": -1 },
              "Delivery": { "FirstRetrySeconds": 0 }
            }
            """, """{ "Name": "Api", "Url": "https://api.example.com/", "Alerts": { "Channels": "slack", "OnDonw": true } }""");

        Assert.Contains("Alerting:PublicUrl \"status.example.com\" must be an absolute http(s) URL, e.g. https://status.example.com", options.Errors);
        Assert.Contains("Alerting:Defaults:OnDwn is not a known setting (did you mean Alerting:Defaults:OnDown?)", options.Errors);
        Assert.Contains("Alerting:Defaults:RemindEveryMinutes \"-1\" must be a whole number of minutes from 0 (never) to 10080 (a week)", options.Errors);
        Assert.Contains("Alerting:Delivery:FirstRetrySeconds \"0\" must be a whole number from 1 to 3600", options.Errors);
        Assert.Contains(options.Errors, e => e.Contains("\"Api\"", StringComparison.Ordinal) && e.Contains("Alerts:OnDonw is not an alert setting (did you mean Alerts:OnDown?)", StringComparison.Ordinal));
        // Channel mistakes are covered by ChannelConfigReaderTests; here only that they are reported with the rest.
        Assert.Contains(options.Errors, e => e.StartsWith("Alerting:Channels:pager:Type", StringComparison.Ordinal));
        Assert.DoesNotContain(options.Errors, e => e.Contains("short", StringComparison.Ordinal));
    }

    [Fact]
    public void A_monitor_naming_a_channel_that_does_not_exist_is_an_error_listing_the_ones_that_do()
    {
        var options = Read($$"""{ {{Hook}} }""", """{ "Name": "Api", "Url": "https://api.example.com/", "Alerts": { "Channels": [ "ops-hook", "slack" ] } }""");

        var error = Assert.Single(options.Errors);
        Assert.Equal("Monitors \"Api\": Alerts:Channels names \"slack\", which is not a channel under Alerting:Channels (ops-hook)", error);
    }
}
