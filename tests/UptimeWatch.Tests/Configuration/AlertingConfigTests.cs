using Microsoft.Extensions.Configuration;
using UptimeWatch.Alerting;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

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
    public void Every_alerting_mistake_is_named_with_its_value_and_secrets_only_by_length()
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
        Assert.Contains("Alerting:Channels:bad name!: the channel name \"bad name!\" must be 1 to 50 letters, digits, '-' or '_'", options.Errors);
        Assert.Contains("Alerting:Channels:pager:Type \"pagerduty\" is not a channel type this version supports (webhook, slack, discord, teams, telegram, ntfy)", options.Errors);
        Assert.Contains("Alerting:Channels:hook:Url \"ftp://x\" is not an absolute http(s) URL", options.Errors);
        Assert.Contains("Alerting:Channels:hook:Secret (\"***\", 5 characters) must be 16 to 512 characters long", options.Errors);
        Assert.Contains("Alerting:Channels:hook:Secrett is not a channel setting (did you mean Secret?)", options.Errors);
        Assert.Contains("Alerting:Defaults:OnDwn is not a known setting (did you mean Alerting:Defaults:OnDown?)", options.Errors);
        Assert.Contains("Alerting:Defaults:RemindEveryMinutes \"-1\" must be a whole number of minutes from 0 (never) to 10080 (a week)", options.Errors);
        Assert.Contains("Alerting:Delivery:FirstRetrySeconds \"0\" must be a whole number from 1 to 3600", options.Errors);
        Assert.Contains(options.Errors, e => e.Contains("\"Api\"", StringComparison.Ordinal) && e.Contains("Alerts:OnDonw is not an alert setting (did you mean Alerts:OnDown?)", StringComparison.Ordinal));
        Assert.DoesNotContain(options.Errors, e => e.Contains("short", StringComparison.Ordinal));
    }

    [Fact]
    public void A_monitor_naming_a_channel_that_does_not_exist_is_an_error_listing_the_ones_that_do()
    {
        var options = Read($$"""{ {{Hook}} }""", """{ "Name": "Api", "Url": "https://api.example.com/", "Alerts": { "Channels": [ "ops-hook", "slack" ] } }""");

        var error = Assert.Single(options.Errors);
        Assert.Equal("Monitors \"Api\": Alerts:Channels names \"slack\", which is not a channel under Alerting:Channels (ops-hook)", error);
    }

    [Fact]
    public void Each_channel_type_asks_for_what_it_needs()
    {
        var options = Read("""
            {
              "Channels": {
                "slack": { "Type": "slack", "Url": "https://hooks.slack.com/services/T/B/x", "Secret": "not-for-slack-at-all" },
                "tg": { "Type": "telegram" },
                "ntfy": { "Type": "ntfy", "Url": "https://ntfy.sh/" },
                "teams": { "Type": "teams", "Url": "https://example.com/workflows/x", "ChatId": "1", "Host": "smtp.example.com" },
                "ok": { "Type": "Discord", "Url": "https://discord.com/api/webhooks/1/abc" }
              }
            }
            """);

        string[] expected =
        [
            "Alerting:Channels:slack:Secret is not used by slack channels: the webhook URL is the secret",
            "Alerting:Channels:tg:Secret is required: the bot token from @BotFather",
            "Alerting:Channels:tg:ChatId is required: the chat (or channel, \"@name\") the bot posts to",
            "Alerting:Channels:ntfy:Url \"https://ntfy.sh/\" must end with the topic, e.g. https://ntfy.sh/my-alerts",
            "Alerting:Channels:teams:Host is only for email channels",
            "Alerting:Channels:teams:ChatId is only for telegram channels",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), options.Errors.Order(StringComparer.Ordinal));
        Assert.Equal(("ok", "discord"), (Assert.Single(options.Alerting.Channels).Name, options.Alerting.Channels[0].Type));
    }
}
