using System.Globalization;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// Runs the probe for a monitor's type and applies the rules every type shares: an answer slower than
/// <c>MaxResponseMs</c>, or a certificate closer to expiry than <c>CertificateExpiryWarningDays</c>, makes a
/// working target degraded rather than up.
/// </summary>
internal sealed class ProbeRunner(IEnumerable<IProbe> probes)
{
    private readonly Dictionary<MonitorType, IProbe> _probes = probes.ToDictionary(p => p.Type);

    public async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        if (!_probes.TryGetValue(monitor.Type, out var probe))
        {
            throw new InvalidOperationException($"No probe is registered for {monitor.Type} monitors");
        }
        var result = await probe.CheckAsync(monitor, cancellationToken);
        return ApplyWarnings(monitor, result);
    }

    public static ProbeResult ApplyWarnings(MonitorDefinition monitor, ProbeResult result)
    {
        if (result.Verdict != Verdict.Up)
        {
            return result;
        }
        if (result.CertificateDaysLeft is < 0 and var expired)
        {
            // Only reachable with IgnoreTlsErrors: otherwise an expired certificate fails the check.
            return result with
            {
                Verdict = Verdict.Degraded, Failure = FailureKind.CertificateExpiring,
                Error = $"the certificate expired {Days(-expired)} ago (accepted because of IgnoreTlsErrors)",
            };
        }
        if (result.CertificateDaysLeft is { } days && days < monitor.CertificateExpiryWarningDays)
        {
            return result with
            {
                Verdict = Verdict.Degraded, Failure = FailureKind.CertificateExpiring,
                Error = $"the certificate expires in {Days(days)} (warning below {Days(monitor.CertificateExpiryWarningDays)})",
            };
        }
        if (monitor.MaxResponseMs is { } max && result.ElapsedMs > max)
        {
            return result with
            {
                Verdict = Verdict.Degraded, Failure = FailureKind.SlowResponse,
                Error = $"responded in {Ms(result.ElapsedMs)}, slower than MaxResponseMs ({Ms(max)})",
            };
        }
        return result;
    }

    private static string Days(int days) => days == 1 ? "1 day" : $"{days.ToString(CultureInfo.InvariantCulture)} days";

    private static string Ms(int ms) => $"{ms.ToString(CultureInfo.InvariantCulture)} ms";
}
