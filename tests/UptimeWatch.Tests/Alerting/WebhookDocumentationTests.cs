using System.Text.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Alerting.Channels;
using static UptimeWatch.Tests.Alerting.ChannelTestKit;

namespace UptimeWatch.Tests.Alerting;

/// <summary>docs/alerting.md promises a payload: the example there is what the webhook really sends.</summary>
public sealed class WebhookDocumentationTests
{
    [Fact]
    public void The_documented_payload_example_is_what_the_webhook_sends()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "alerting.md"));
        var section = doc[doc.IndexOf("## The webhook payload", StringComparison.Ordinal)..];
        var start = section.IndexOf("```json", StringComparison.Ordinal) + "```json".Length;
        var documented = JsonNode.Parse(section[start..section.IndexOf("```", start, StringComparison.Ordinal)])!;

        var notification = Down() with
        {
            Key = "alert:12:recovered:ops-hook", IncidentId = 12, Event = "recovered", Status = "up", PreviousStatus = "down",
            Reason = "HTTP 200", At = At.AddMinutes(65),
        };
        var sent = JsonNode.Parse(WebhookSender.Body(notification))!;

        Assert.Equal(documented.ToJsonString(), sent.ToJsonString());
        // Same fields in the same order, not just equal values.
        Assert.Equal(documented.AsObject().Select(p => p.Key), sent.AsObject().Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(documented, sent), JsonSerializer.Serialize(sent));
    }
}
