using System.Globalization;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// A reason fit for the public: a <paramref name="Category"/> to group on (<c>timeout</c>, <c>http_status</c>,
/// <c>paused</c>, …) and a short <paramref name="Text"/> ("timeout", "HTTP 503", "paused") that names no host, address,
/// URL, response text, person or token.
/// </summary>
internal sealed record PublicReason(string Category, string Text);

/// <summary>
/// The public vocabulary, all of it. A probe decides the <see cref="FailureKind"/> where the error is made and the
/// state machine decides the status; this only names them. Nothing here reads the full text of an error: the public
/// text is made from the category and from numbers that are public anyway (the HTTP status, days of certificate left).
/// </summary>
internal static class PublicReasons
{
    /// <summary>A slot that could not be checked (the scheduler was late, the previous check still ran).</summary>
    public const string Missed = "missed";

    /// <summary>
    /// A check made while its location could not reach the internet (its canaries failed): held, saying nothing of the
    /// target. The public reads it as any slot with no verdict.
    /// </summary>
    public const string Held = "held";

    /// <summary>A monitor resumed: judged again from scratch.</summary>
    public const string Resumed = "resumed";

    private static readonly Dictionary<FailureKind, string> Categories = new()
    {
        [FailureKind.Timeout] = "timeout",
        [FailureKind.DnsFailure] = "dns_failure",
        [FailureKind.ConnectionRefused] = "connection_refused",
        [FailureKind.ConnectionFailed] = "connection_failed",
        [FailureKind.TlsError] = "tls_error",
        [FailureKind.CertificateExpiring] = "certificate",
        [FailureKind.UnexpectedStatus] = "http_status",
        [FailureKind.KeywordMissing] = "keyword_missing",
        [FailureKind.KeywordPresent] = "keyword_present",
        [FailureKind.JsonAssertionFailed] = "assertion_failed",
        [FailureKind.HeaderMissing] = "header_missing",
        [FailureKind.TooManyRedirects] = "too_many_redirects",
        [FailureKind.BadRedirect] = "bad_redirect",
        [FailureKind.ProtocolError] = "protocol_error",
        [FailureKind.DnsMismatch] = "dns_mismatch",
        [FailureKind.SlowResponse] = "slow_response",
        [FailureKind.NoHeartbeat] = "heartbeat_missed",
        [FailureKind.ReportedDown] = "reported_down",
    };

    // Categories whose text is not simply their name with spaces; the statuses (down, paused, maintenance…) are.
    private static readonly Dictionary<string, string> Texts = new()
    {
        ["dns_failure"] = "DNS failure",
        ["tls_error"] = "TLS error",
        ["keyword_present"] = "unwanted keyword found",
        ["bad_redirect"] = "redirect refused",
        ["dns_mismatch"] = "unexpected DNS answer",
        [Missed] = "not checked",
        [Held] = "not checked",
    };

    /// <summary>The category of a kind of failure; every <see cref="FailureKind"/> has one (a test says so).</summary>
    public static string Category(FailureKind kind) => Categories[kind];

    /// <summary>
    /// The public text of a category. <paramref name="httpStatus"/> and <paramref name="certificateDaysLeft"/> fill in
    /// "HTTP 503" and "certificate expires in 5 days" when known.
    /// </summary>
    public static string Text(string category, int? httpStatus = null, int? certificateDaysLeft = null) => category switch
    {
        "http_status" => httpStatus is { } status ? $"HTTP {status.ToString(CultureInfo.InvariantCulture)}" : "unexpected HTTP status",
        "certificate" => certificateDaysLeft switch
        {
            < 0 => "certificate expired",
            0 => "certificate expires today",
            1 => "certificate expires in 1 day",
            { } days => $"certificate expires in {days.ToString(CultureInfo.InvariantCulture)} days",
            null => "certificate expiring",
        },
        _ => Texts.TryGetValue(category, out var text) ? text : category.Replace('_', ' '),
    };

    public static PublicReason ForFailure(FailureKind kind, int? httpStatus, int? certificateDaysLeft)
    {
        var category = Category(kind);
        return new PublicReason(category, Text(category, httpStatus, certificateDaysLeft));
    }

    /// <summary>A status as its own reason: <c>paused</c>, <c>maintenance</c>, <c>down</c>…</summary>
    public static PublicReason ForStatus(MonitorStatus status)
    {
        var category = status.ToString().ToLowerInvariant();
        return new PublicReason(category, Text(category));
    }

    /// <summary>
    /// Why a check changed the status to <paramref name="state"/>, publicly: the overlay when one is shown (maintenance,
    /// flapping), else what the check found (its failure, or <c>up</c>).
    /// </summary>
    public static PublicReason ForChange(MonitorState state, ProbeResult result) =>
        state.Status != state.Base || state.Status == MonitorStatus.Up || result.Failure is null
            ? ForStatus(state.Status)
            : ForFailure(result.Failure.Value, result.HttpStatus, result.CertificateDaysLeft);

    /// <summary>
    /// A stored check's public reason; null for a check that did not fail. Rows stored before categories existed get
    /// the outcome only ("down"), never their old text.
    /// </summary>
    public static PublicReason? OfCheck(string? category, CheckOutcome outcome, int? httpStatus, int? certificateDaysLeft) =>
        category is not null ? new PublicReason(category, Text(category, httpStatus, certificateDaysLeft))
        : outcome switch
        {
            CheckOutcome.Down => new PublicReason("down", "down"),
            CheckOutcome.Degraded => new PublicReason("degraded", "degraded"),
            CheckOutcome.Missed => new PublicReason(Missed, Text(Missed)),
            _ => null,
        };

    /// <summary>A stored status event's public reason; rows stored before it existed get their new status ("down", "up").</summary>
    public static PublicReason OfEvent(string? category, string? text, MonitorStatus to) =>
        category is not null && text is not null ? new PublicReason(category, text) : ForStatus(to);
}
