using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// TLS check: connect to <c>tls://host:port</c>, complete a handshake with SNI = host, and judge the server
/// certificate with <see cref="CertificateCheck"/> (the same judgement HTTPS monitors get). Nothing is sent after
/// the handshake. Days until expiry are reported even when the certificate is rejected, so the history shows them.
/// </summary>
internal sealed class TlsProbe(CertificateCheck certificates, TimeProvider time, ProbeSource source) : IProbe
{
    public MonitorType Type => MonitorType.Tls;

    public ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken) =>
        TcpConnector.CheckAsync(monitor, time, source, cancellationToken, HandshakeAsync);

    private async ValueTask<ProbeResult> HandshakeAsync(TcpCheck check)
    {
        var deadline = check.Deadline;
        int Elapsed() => deadline.ElapsedMs;

        check.Phase.Current = TcpPhase.Step.Tls;
        var handshakeStarted = time.GetTimestamp();

        // The chain lives only during the callback, so the certificate is judged there; the handshake is always
        // allowed to finish, which tells a certificate problem apart from a server that cannot do TLS at all.
        string? problem = null;
        int? daysLeft = null;
        await using var tls = new SslStream(new NetworkStream(check.Connection.Socket, ownsSocket: true));
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = check.Host,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    problem = certificates.Problem(check.Host, certificate, chain, errors);
                    daysLeft = certificate is null ? null : certificates.DaysLeft(certificate);
                    return true;
                },
            }, deadline.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            var endpoint = TcpConnector.Endpoint(check.Host, check.Port);
            return ProbeResult.Failed(FailureKind.TlsError, Elapsed(), $"TLS handshake with {endpoint} failed: {Innermost(ex).Message}")
                with { CertificateDaysLeft = daysLeft };
        }

        var result = problem is null
            ? ProbeResult.Ok(Elapsed())
            : ProbeResult.Failed(FailureKind.TlsError, Elapsed(), problem);
        return result with
        {
            Timings = new ProbeTimings(check.Connection.DnsMs, check.Connection.ConnectMs,
                (int)Math.Round(time.GetElapsedTime(handshakeStarted).TotalMilliseconds), null),
            CertificateDaysLeft = daysLeft,
        };
    }

    /// <summary>SslStream wraps the useful reason (an alert, a reset) a level or two down.</summary>
    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner)
        {
            ex = inner;
        }
        return ex;
    }
}
