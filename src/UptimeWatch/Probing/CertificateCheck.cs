using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace UptimeWatch.Probing;

/// <summary>
/// Judges a server certificate the way a browser would (chain to a trusted root, name matches, within its
/// validity) and says what is wrong in words. Extra trusted CAs (internal PKI) come from
/// <c>UptimeWatch:Probing:CaCertificatesFile</c>. Shared by the HTTPS and TLS probes.
/// </summary>
internal sealed class CertificateCheck(TimeProvider time, IReadOnlyCollection<X509Certificate2> extraRoots)
{
    /// <summary>Whole days from now until <paramref name="certificate"/> expires (negative once expired).</summary>
    public int DaysLeft(X509Certificate certificate)
    {
        var notAfter = new DateTimeOffset(((X509Certificate2)certificate).NotAfter.ToUniversalTime(), TimeSpan.Zero);
        // Toward zero: a certificate that ran out 25 hours ago expired 1 day ago, not 2.
        return (int)Math.Truncate((notAfter - time.GetUtcNow()).TotalDays);
    }

    /// <summary>Null when the certificate is acceptable for <paramref name="host"/>, otherwise why not.</summary>
    public string? Problem(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return "the server sent no certificate";
        }
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var now = time.GetUtcNow().UtcDateTime;
        if (leaf.NotAfter.ToUniversalTime() < now)
        {
            return $"the certificate expired on {leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        }
        if (leaf.NotBefore.ToUniversalTime() > now)
        {
            return $"the certificate is not valid before {leaf.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"the certificate is for {leaf.GetNameInfo(X509NameType.DnsName, false)}, not {host}";
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            if (extraRoots.Count > 0 && ChainsToExtraRoot(leaf, chain))
            {
                return null;
            }
            var status = chain?.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList() ?? [];
            return status.Contains(X509ChainStatusFlags.UntrustedRoot) || status.Contains(X509ChainStatusFlags.PartialChain)
                ? leaf.Subject == leaf.Issuer
                    ? "the certificate is self-signed and not trusted"
                    : $"the certificate is issued by {leaf.GetNameInfo(X509NameType.SimpleName, true)}, which is not trusted"
                : $"the certificate chain is not valid ({string.Join(", ", status)})";
        }
        return errors == SslPolicyErrors.None ? null : $"the certificate is not acceptable ({errors})";
    }

    private bool ChainsToExtraRoot(X509Certificate2 leaf, X509Chain? original)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraRoots.ToArray());
        if (original is not null)
        {
            foreach (var element in original.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(leaf);
    }
}
