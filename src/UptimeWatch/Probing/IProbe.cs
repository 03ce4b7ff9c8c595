using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// Checks one target once, for one <see cref="MonitorType"/>. An implementation must return within the
/// monitor's timeout (it owns the overall deadline), must cap what it reads, and must turn every failure into a
/// <see cref="ProbeResult"/> with a message a person understands. It throws only when
/// <c>cancellationToken</c> is cancelled (shutdown). Response-time and certificate warnings are applied by
/// <see cref="ProbeRunner"/>, not by each probe.
/// </summary>
internal interface IProbe
{
    MonitorType Type { get; }

    ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken);
}

/// <summary>The verdict of one check.</summary>
internal enum Verdict
{
    Up,
    Degraded,
    Down,
}

/// <summary>The outcome of one check, with everything worth storing about it.</summary>
internal sealed record ProbeResult(Verdict Verdict, int ElapsedMs, int? HttpStatus, FailureKind? Failure, string? Error)
{
    public bool Success => Verdict != Verdict.Down;

    /// <summary>Phase timings of an HTTP(S)/TLS check; null for probes that have no phases.</summary>
    public ProbeTimings? Timings { get; init; }

    /// <summary>How a working check describes itself in a status change, when "answered in N ms" does not fit
    /// (a push heartbeat says "heartbeat received").</summary>
    public string? Summary { get; init; }

    /// <summary>Whole days until the server certificate expires; null when no certificate was seen.</summary>
    public int? CertificateDaysLeft { get; init; }

    /// <summary>
    /// Set when the check has nothing new to say, so nothing is recorded for the slot: a push monitor whose
    /// heartbeat is on time (its heartbeats are the record). The time is when there may be news: the deadline.
    /// </summary>
    public DateTimeOffset? NothingNewUntil { get; init; }

    public static ProbeResult Ok(int elapsedMs, int? httpStatus = null) => new(Verdict.Up, elapsedMs, httpStatus, null, null);

    /// <summary>No verdict for this slot; check again at <paramref name="until"/>. The verdict is a placeholder, never recorded.</summary>
    public static ProbeResult NothingNew(DateTimeOffset until) => new(Verdict.Up, 0, null, null, null) { NothingNewUntil = until };

    public static ProbeResult Failed(FailureKind kind, int elapsedMs, string error, int? httpStatus = null) =>
        new(Verdict.Down, elapsedMs, httpStatus, kind, error);
}

/// <summary>Milliseconds spent in each phase; a phase that did not happen (reused connection) is null.</summary>
internal sealed record ProbeTimings(int? DnsMs, int? ConnectMs, int? TlsMs, int? FirstByteMs);

/// <summary>Why a check failed (or was degraded), coarse enough to group on.</summary>
internal enum FailureKind
{
    Timeout,
    DnsFailure,
    ConnectionRefused,
    ConnectionFailed,
    TlsError,
    CertificateExpiring,
    UnexpectedStatus,
    KeywordMissing,
    KeywordPresent,
    JsonAssertionFailed,
    HeaderMissing,
    TooManyRedirects,
    BadRedirect,
    ProtocolError,
    DnsMismatch,
    SlowResponse,
    NoHeartbeat,
    ReportedDown,
}
