using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Alerting;
using UptimeWatch.Alerting.Channels;
using UptimeWatch.Configuration;
using static UptimeWatch.Tests.Alerting.ChannelTestKit;

namespace UptimeWatch.Tests.Alerting;

/// <summary>The one place the wording lives: titles, headlines and facts every channel shows.</summary>
public sealed class NotificationTextTests
{
    [Theory]
    [InlineData("down", "[DOWN] Checkout API", "Checkout API is down.")]
    [InlineData("reminder", "[STILL DOWN] Checkout API", "Checkout API is still down, for 1 h 5 min now.")]
    [InlineData("recovered", "[RECOVERED] Checkout API", "Checkout API is back up after 1 h 5 min down.")]
    [InlineData("degraded", "[DEGRADED] Checkout API", "Checkout API is degraded.")]
    [InlineData("certificate", "[CERTIFICATE] Checkout API", "Checkout API has a certificate that needs attention.")]
    [InlineData("flapping.started", "[FLAPPING] Checkout API", "Checkout API is flapping: its status keeps changing (it is up now). Repeated down and recovery alerts for it are held back until it settles.")]
    [InlineData("flapping.stopped", "[STABLE] Checkout API", "Checkout API has stopped flapping; it is up now.")]
    [InlineData("test", "[TEST] Checkout API", "Test notification from UptimeWatch for Checkout API: if you can read this, the channel works.")]
    public void Each_event_has_its_own_title_and_headline(string kind, string title, string headline)
    {
        var n = Down() with { Event = kind, Status = kind == "down" || kind == "reminder" ? "down" : "up", At = At.AddMinutes(65) };

        Assert.Equal(title, NotificationText.Title(n));
        Assert.Equal(headline, NotificationText.Headline(n));
    }

    [Fact]
    public void A_recovery_says_how_long_the_incident_lasted()
    {
        var facts = NotificationText.Facts(Recovered(TimeSpan.FromMinutes(12) + TimeSpan.FromSeconds(30)));

        Assert.Contains(new NotificationFact("Downtime", "12 min"), facts);
        Assert.Contains(new NotificationFact("Was down since", "2025-03-01 14:05:09 UTC"), facts);
        Assert.Contains(new NotificationFact("Status", "up (was down)"), facts);
        Assert.Contains(new NotificationFact("Incident", "#7"), facts);
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(90, "1 min 30 s")]
    [InlineData(600, "10 min")]
    [InlineData(3600, "1 h")]
    [InlineData(3900, "1 h 5 min")]
    [InlineData(90000, "1 d 1 h")]
    [InlineData(172800, "2 d")]
    public void Durations_read_naturally(int seconds, string text) =>
        Assert.Equal(text, NotificationText.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void The_plain_text_ends_with_the_status_page_link()
    {
        var text = NotificationText.PlainText(Down());

        Assert.StartsWith("Checkout API is down.\n\nReason: HTTP 503", text);
        Assert.EndsWith("\nStatus page: https://status.example.com/m/checkout-api", text);
    }

    [Fact]
    public void Every_channel_type_has_exactly_one_registered_sender_and_the_notify_client_has_no_timeout_of_its_own()
    {
        using var kit = new ChannelTestKit();

        var types = kit.Services.GetServices<IChannelSender>().Select(s => s.Type).Order().ToList();
        Assert.Equal(ChannelConfigReader.Types.Order(), types);
        var client = kit.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpDelivery.ClientName);
        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }
}
