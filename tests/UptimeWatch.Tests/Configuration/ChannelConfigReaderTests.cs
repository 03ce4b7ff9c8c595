using Microsoft.Extensions.Configuration;
using UptimeWatch.Alerting;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class ChannelConfigReaderTests
{
    private const string Root = "UptimeWatch:Alerting:Channels";

    private static (IReadOnlyList<ChannelSettings> Channels, List<string> Errors) Read(params (string Key, string? Value)[] values) =>
        ReadLayers(values.ToDictionary(v => $"{Root}:{v.Key}", v => v.Value));

    private static (IReadOnlyList<ChannelSettings> Channels, List<string> Errors) ReadLayers(Dictionary<string, string?> values, Dictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder().AddInMemoryCollection(values);
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }
        var errors = new List<string>();
        var channels = ChannelConfigReader.Read(builder.Build().GetSection(Root), errors);
        return (channels, errors);
    }

    private static string SingleError(params (string Key, string? Value)[] values)
    {
        var (channels, errors) = Read(values);
        Assert.Empty(channels);
        return Assert.Single(errors);
    }

    [Fact]
    public void A_good_configuration_of_every_type_reads_into_settings()
    {
        var (channels, errors) = Read(
            ("hook:Type", "webhook"), ("hook:Url", "https://example.com/hooks/uptime"), ("hook:Secret", "s3cret-value"),
            ("slack:Type", "Slack"), ("slack:Url", "https://hooks.slack.com/services/T0/B0/XYZ"),
            ("discord:Type", "discord"), ("discord:Url", "https://discord.com/api/webhooks/1/abc"),
            ("teams:Type", "teams"), ("teams:Url", "https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=y"),
            ("tg:Type", "telegram"), ("tg:Secret", "123456:ABC-def_ghi"), ("tg:ChatId", "-1001234567890"),
            ("push:Type", "ntfy"), ("push:Url", "https://ntfy.sh/my-alerts"),
            ("mail:Type", "email"), ("mail:Host", "smtp.example.com"), ("mail:UserName", "alerts"), ("mail:Password", "pw"),
            ("mail:From", "UptimeWatch <alerts@example.com>"), ("mail:To:0", "ops@example.com"), ("mail:To:1", "Oncall <oncall@example.com>"));

        Assert.Empty(errors);
        Assert.Equal(["discord", "hook", "mail", "push", "slack", "teams", "tg"], channels.Select(c => c.Name).Order());
        var byName = channels.ToDictionary(c => c.Name);
        Assert.Equal("slack", byName["slack"].Type);
        Assert.Equal("s3cret-value", byName["hook"].Secret);
        Assert.Equal(new Uri("https://ntfy.sh/my-alerts"), byName["push"].Url);
        Assert.Null(byName["tg"].Url);
        Assert.Equal("-1001234567890", byName["tg"].ChatId);
        var smtp = byName["mail"].Smtp!;
        Assert.Equal(("smtp.example.com", 587, SmtpSecurity.StartTls, "alerts", "pw"), (smtp.Host, smtp.Port, smtp.Security, smtp.UserName, smtp.Password));
        Assert.Equal(2, smtp.To.Count);
        Assert.Contains("oncall@example.com", smtp.To[1]);
    }

    [Theory]
    [InlineData("StartTls", 587)]
    [InlineData("tls", 465)]
    [InlineData("None", 25)]
    public void The_smtp_port_defaults_by_security(string security, int port)
    {
        var (channels, errors) = Read(("m:Type", "email"), ("m:Host", "127.0.0.1"), ("m:Security", security), ("m:From", "a@example.com"), ("m:To", "b@example.com"));

        Assert.Empty(errors);
        Assert.Equal(port, channels[0].Smtp!.Port);
    }

    [Fact]
    public void To_may_be_one_comma_separated_string()
    {
        var (channels, errors) = Read(("m:Type", "email"), ("m:Host", "mail"), ("m:From", "a@example.com"), ("m:To", "b@example.com, \"Ops, Team\" <c@example.com>"));

        Assert.Empty(errors);
        Assert.Equal(2, channels[0].Smtp!.To.Count);
    }

    [Fact]
    public void A_later_source_like_an_environment_variable_overrides_a_secret()
    {
        var (channels, errors) = ReadLayers(
            new() { [$"{Root}:slack:Type"] = "slack", [$"{Root}:slack:Url"] = "https://hooks.slack.com/services/placeholder" },
            new() { [$"{Root}:slack:Url"] = "https://hooks.slack.com/services/T0/B0/REAL" });

        Assert.Empty(errors);
        Assert.Equal("/services/T0/B0/REAL", channels[0].Url!.AbsolutePath);
    }

    [Fact]
    public void No_channels_is_no_error() => Assert.Empty(Read().Errors);

    [Fact]
    public void A_missing_type_is_named() =>
        Assert.Equal("Alerting:Channels:ops:Type is required: one of webhook, slack, discord, teams, telegram, ntfy, email",
            SingleError(("ops:Url", "https://example.com/x")));

    [Fact]
    public void An_unknown_type_suggests_the_closest() =>
        Assert.Equal("Alerting:Channels:ops:Type \"slak\" is not a channel type: one of webhook, slack, discord, teams, telegram, ntfy, email (did you mean \"slack\"?)",
            SingleError(("ops:Type", "slak"), ("ops:Url", "https://example.com/x")));

    [Fact]
    public void An_unknown_key_suggests_the_closest() =>
        Assert.Equal("Alerting:Channels:ops:Secrt is not a known channel setting (did you mean Alerting:Channels:ops:Secret?)",
            SingleError(("ops:Type", "webhook"), ("ops:Url", "https://example.com/x"), ("ops:Secrt", "abc")));

    [Fact]
    public void A_key_of_another_type_is_named_with_the_keys_that_apply() =>
        Assert.Equal("Alerting:Channels:ops:ChatId does not apply to a slack channel (it uses Url)",
            SingleError(("ops:Type", "slack"), ("ops:Url", "https://hooks.slack.com/services/x"), ("ops:ChatId", "42")));

    [Fact]
    public void A_bad_channel_name_is_named() =>
        Assert.Equal("Alerting:Channels:ops team: the channel name \"ops team\" must be 1–50 letters, digits, '-' or '_'",
            SingleError(("ops team:Type", "slack"), ("ops team:Url", "https://hooks.slack.com/services/x")));

    [Fact]
    public void A_single_value_instead_of_a_channel_is_named() =>
        Assert.Equal("Alerting:Channels:ops must be an object with a Type and that type's settings, not a single value",
            SingleError(("ops", "https://hooks.slack.com/services/x")));

    [Fact]
    public void A_list_of_channels_instead_of_named_ones_is_named() =>
        Assert.Equal("Alerting:Channels must be an object of named channels, like \"Alerting:Channels\": { \"ops\": { \"Type\": \"slack\", … } }, not a list",
            SingleError(("0:Type", "slack"), ("0:Url", "https://hooks.slack.com/services/x")));

    [Fact]
    public void A_missing_url_is_named() =>
        Assert.Equal("Alerting:Channels:ops:Url is required: the discord URL to POST to", SingleError(("ops:Type", "discord")));

    [Fact]
    public void A_bad_url_shows_where_it_starts_and_its_length_but_never_its_path()
    {
        var error = SingleError(("ops:Type", "slack"), ("ops:Url", "htps://hooks.slack.com/services/T0/B0/SECRETPART"));

        Assert.Equal("Alerting:Channels:ops:Url (\"htps://hooks.slack.com…\", 48 characters) must be an absolute http(s) URL, like https://hooks.example.com/…", error);
    }

    [Fact]
    public void A_url_that_is_not_a_url_is_named() =>
        Assert.Equal("Alerting:Channels:ops:Url (\"not a ur…\", 11 characters) must be an absolute http(s) URL, like https://hooks.example.com/…",
            SingleError(("ops:Type", "ntfy"), ("ops:Url", "not a url!!")));

    [Fact]
    public void Telegram_needs_a_token_and_a_chat()
    {
        var (_, errors) = Read(("tg:Type", "telegram"));

        Assert.Equal([
            "Alerting:Channels:tg:Secret is required for a telegram channel: the bot token from @BotFather (123456:ABC…)",
            "Alerting:Channels:tg:ChatId is required for a telegram channel: a numeric chat id (e.g. -1001234567890) or @channelname",
        ], errors);
    }

    [Fact]
    public void A_malformed_bot_token_is_described_by_its_length_only()
    {
        var error = SingleError(("tg:Type", "telegram"), ("tg:Secret", "not/a token"), ("tg:ChatId", "@alerts_channel"));

        Assert.Equal("Alerting:Channels:tg:Secret (a secret, 11 characters) is not a bot token: expected digits, ':' and letters, digits, '-' or '_', as @BotFather gives it", error);
        Assert.DoesNotContain("not/a token", error);
    }

    [Fact]
    public void A_bad_chat_id_is_named() =>
        Assert.Equal("Alerting:Channels:tg:ChatId \"my chat\" must be a numeric chat id (e.g. -1001234567890) or @channelname",
            SingleError(("tg:Type", "telegram"), ("tg:Secret", "1:abc"), ("tg:ChatId", "my chat")));

    [Fact]
    public void Email_needs_a_host_a_sender_and_recipients()
    {
        var (_, errors) = Read(("m:Type", "email"));

        Assert.Equal([
            "Alerting:Channels:m:Host is required for an email channel: the SMTP server, e.g. smtp.example.com",
            "Alerting:Channels:m:From is required for an email channel: the sender, e.g. \"UptimeWatch <alerts@example.com>\"",
            "Alerting:Channels:m:To is required for an email channel: one or more addresses, as a list or separated by commas",
        ], errors);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("smtp")]
    [InlineData("-25")]
    public void A_port_outside_1_to_65535_is_named(string port) =>
        Assert.Equal($"Alerting:Channels:m:Port \"{port}\" must be a whole number from 1 to 65535",
            SingleError(("m:Type", "email"), ("m:Host", "mail"), ("m:Port", port), ("m:From", "a@example.com"), ("m:To", "b@example.com")));

    [Fact]
    public void A_bad_security_suggests_the_closest() =>
        Assert.Equal("Alerting:Channels:m:Security \"StartTLS1\" must be StartTls, Tls or None (did you mean StartTls?)",
            SingleError(("m:Type", "email"), ("m:Host", "mail"), ("m:Security", "StartTLS1"), ("m:From", "a@example.com"), ("m:To", "b@example.com")));

    [Fact]
    public void A_host_with_a_scheme_is_named() =>
        Assert.Equal("Alerting:Channels:m:Host \"smtp://mail:25\" is not a host name or IP address (no scheme or port: put the port in Alerting:Channels:m:Port)",
            SingleError(("m:Type", "email"), ("m:Host", "smtp://mail:25"), ("m:From", "a@example.com"), ("m:To", "b@example.com")));

    [Fact]
    public void A_password_without_a_user_name_is_described_by_its_length_only()
    {
        var error = SingleError(("m:Type", "email"), ("m:Host", "mail"), ("m:Password", "hunter22"), ("m:From", "a@example.com"), ("m:To", "b@example.com"));

        Assert.Equal("Alerting:Channels:m:Password (a secret, 8 characters) is set but Alerting:Channels:m:UserName is not: set both to log in, or neither", error);
    }

    [Fact]
    public void A_user_name_without_a_password_is_named() =>
        Assert.Equal("Alerting:Channels:m:Password is required when Alerting:Channels:m:UserName (\"alerts\") is set",
            SingleError(("m:Type", "email"), ("m:Host", "mail"), ("m:UserName", "alerts"), ("m:From", "a@example.com"), ("m:To", "b@example.com")));

    [Fact]
    public void Bad_addresses_are_named()
    {
        var (_, errors) = Read(("m:Type", "email"), ("m:Host", "mail"), ("m:From", "alerts"), ("m:To:0", "ops@example.com"), ("m:To:1", "not an address"));

        Assert.Equal([
            "Alerting:Channels:m:From \"alerts\" is not an email address (e.g. alerts@example.com or \"UptimeWatch <alerts@example.com>\")",
            "Alerting:Channels:m:To:1 \"not an address\" is not an email address",
        ], errors);
    }

    [Fact]
    public void A_bad_comma_separated_list_is_named() =>
        Assert.Equal("Alerting:Channels:m:To \"ops@example.com, nobody\" must be email addresses separated by commas (or a list)",
            SingleError(("m:Type", "email"), ("m:Host", "mail"), ("m:From", "a@example.com"), ("m:To", "ops@example.com, nobody")));

    [Fact]
    public void A_list_where_one_value_belongs_is_named() =>
        Assert.Contains("Alerting:Channels:ops:Url must be a single value, not an object or a list",
            Read(("ops:Type", "webhook"), ("ops:Url:0", "https://example.com/a")).Errors);

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var (channels, errors) = Read(("a:Type", "slack"), ("b:Type", "nope"), ("c:Type", "email"), ("d:Type", "ntfy"), ("d:Url", "https://ntfy.sh/ok"));

        Assert.Equal(["d"], channels.Select(c => c.Name));
        Assert.Equal(5, errors.Count);
    }

    [Fact]
    public void Describe_shows_scheme_and_host_only_and_never_a_secret()
    {
        var slack = new ChannelSettings { Name = "ops", Type = "slack", Url = new Uri("https://hooks.slack.com/services/T0/B0/SECRET?x=1") };
        var telegram = new ChannelSettings { Name = "tg", Type = "telegram", Secret = "123:token", ChatId = "42" };
        var email = new ChannelSettings
        {
            Name = "mail", Type = "email",
            Smtp = new SmtpSettings("smtp.example.com", 465, SmtpSecurity.Tls, "alerts", "pw-123", "a@example.com", ["b@example.com"]),
        };

        Assert.Equal(new ChannelDescription("ops", "slack", "https://hooks.slack.com/…", false, null), ChannelDescription.Describe(slack));
        var tg = ChannelDescription.Describe(telegram);
        Assert.Equal(("https://api.telegram.org/…", true), (tg.Destination, tg.HasSecret));
        var mail = ChannelDescription.Describe(email);
        Assert.Equal("smtp://smtp.example.com:465 (Tls)", mail.Destination);
        Assert.True(mail.HasSecret);
        var json = System.Text.Json.JsonSerializer.Serialize<object>(new[] { ChannelDescription.Describe(slack), tg, mail });
        Assert.DoesNotContain("SECRET", json);
        Assert.DoesNotContain("token", json);
        Assert.DoesNotContain("pw-123", json);
    }
}
