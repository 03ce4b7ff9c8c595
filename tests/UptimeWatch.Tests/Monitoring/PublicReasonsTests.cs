using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Monitoring;

/// <summary>The public vocabulary: every failure a probe can report has a category and a short text.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class PublicReasonsTests
{
    // By name: FailureKind is internal, and xunit's theory methods are public.
    public static TheoryData<string> EveryFailureKind() => [.. Enum.GetNames<FailureKind>()];

    [Theory]
    [MemberData(nameof(EveryFailureKind))]
    public void Every_failure_kind_has_a_category_and_a_short_text(string kind)
    {
        var reason = PublicReasons.ForFailure(Enum.Parse<FailureKind>(kind), httpStatus: null, certificateDaysLeft: null);

        Assert.Matches("^[a-z_]+$", reason.Category);
        Assert.InRange(reason.Text.Length, 1, 40);
    }

    [Theory]
    [InlineData("UnexpectedStatus", 503, null, "http_status", "HTTP 503")]
    [InlineData("CertificateExpiring", null, 5, "certificate", "certificate expires in 5 days")]
    [InlineData("CertificateExpiring", null, -2, "certificate", "certificate expired")]
    [InlineData("Timeout", null, null, "timeout", "timeout")]
    [InlineData("ConnectionRefused", null, null, "connection_refused", "connection refused")]
    [InlineData("DnsFailure", null, null, "dns_failure", "DNS failure")]
    [InlineData("NoHeartbeat", null, null, "heartbeat_missed", "heartbeat missed")]
    public void Texts_carry_only_public_numbers(string kind, int? httpStatus, int? days, string category, string text) =>
        Assert.Equal(new PublicReason(category, text), PublicReasons.ForFailure(Enum.Parse<FailureKind>(kind), httpStatus, days));

    [Fact]
    public void A_down_caused_by_a_failure_is_named_by_the_failure_and_an_overlay_by_itself()
    {
        var down = new MonitorState(MonitorStatus.Down, MonitorStatus.Down, 2, 0, "DD", false);
        var maintenance = down with { Status = MonitorStatus.Maintenance };
        var failed = ProbeResult.Failed(FailureKind.UnexpectedStatus, 10, "HTTP 503 from 10.0.0.5", 503);

        Assert.Equal(new PublicReason("http_status", "HTTP 503"), PublicReasons.ForChange(down, failed));
        Assert.Equal(new PublicReason("maintenance", "maintenance"), PublicReasons.ForChange(maintenance, failed));
        Assert.Equal(new PublicReason("up", "up"), PublicReasons.ForChange(down with { Status = MonitorStatus.Up, Base = MonitorStatus.Up },
            ProbeResult.Ok(10, 200)));
    }

    [Fact]
    public void Rows_without_a_category_fall_back_to_their_outcome_or_status()
    {
        Assert.Equal(new PublicReason("down", "down"), PublicReasons.OfEvent(null, null, MonitorStatus.Down));
        Assert.Equal(new PublicReason("down", "down"), PublicReasons.OfCheck(null, CheckOutcome.Down, 503, null));
        Assert.Null(PublicReasons.OfCheck(null, CheckOutcome.Up, 200, null));
    }
}
