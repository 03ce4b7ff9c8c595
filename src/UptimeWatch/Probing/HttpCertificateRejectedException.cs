using System.Security.Authentication;

namespace UptimeWatch.Probing;

/// <summary>A server certificate <see cref="CertificateCheck"/> refused; the message says why, in words.</summary>
internal sealed class HttpCertificateRejectedException(string problem, int? daysLeft) : AuthenticationException(problem)
{
    /// <summary>Days left on the refused certificate (negative once expired).</summary>
    public int? DaysLeft => daysLeft;
}
