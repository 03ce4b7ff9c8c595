using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// Checks one target once. An implementation must return within the monitor's timeout (it owns the overall
/// deadline), must cap what it reads, and must turn every failure into a <see cref="ProbeResult"/> with a
/// message a person understands. It throws only when <c>cancellationToken</c> is cancelled (shutdown).
/// </summary>
internal interface IProbe
{
    ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken);
}

/// <summary>The verdict of one check.</summary>
internal sealed record ProbeResult(bool Success, int ElapsedMs, int? HttpStatus, FailureKind? Failure, string? Error)
{
    public static ProbeResult Ok(int elapsedMs, int httpStatus) => new(true, elapsedMs, httpStatus, null, null);

    public static ProbeResult Failed(FailureKind kind, int elapsedMs, string error, int? httpStatus = null) =>
        new(false, elapsedMs, httpStatus, kind, error);
}

/// <summary>Why a check failed, coarse enough to group on.</summary>
internal enum FailureKind
{
    Timeout,
    DnsFailure,
    ConnectionRefused,
    ConnectionFailed,
    TlsError,
    UnexpectedStatus,
    KeywordMissing,
    TooManyRedirects,
    BadRedirect,
    ProtocolError,
}
