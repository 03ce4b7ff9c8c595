using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace UptimeWatch.Testing;

/// <summary>
/// Certificates for local TLS targets: a test CA (trusted only when a test hands its PEM to UptimeWatch through
/// <c>UptimeWatch:Probing:CaCertificatesFile</c>) and server certificates it issues, good or broken on purpose.
/// </summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyCa = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=UptimeWatch Test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // Starts long ago so that it can issue certificates that are already expired.
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-2), DateTimeOffset.UtcNow.AddYears(5));
    });

    public static X509Certificate2 Ca => LazyCa.Value;

    /// <summary>Writes the CA as PEM to a temp file, for <c>Probing:CaCertificatesFile</c>.</summary>
    public static string WriteCaPem()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory("ca"), "test-ca.pem");
        File.WriteAllText(path, Ca.ExportCertificatePem());
        return path;
    }

    /// <summary>A server certificate for <paramref name="host"/> (DNS name or IP), issued by the test CA.</summary>
    public static X509Certificate2 Issue(string host = "localhost", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        Create(host, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(90), selfSigned: false);

    /// <summary>A certificate that signs itself: no CA vouches for it.</summary>
    public static X509Certificate2 SelfSigned(string host = "localhost") =>
        Create(host, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), selfSigned: true);

    /// <summary>Issued by the test CA, but its validity ended yesterday.</summary>
    public static X509Certificate2 Expired(string host = "localhost") =>
        Issue(host, DateTimeOffset.UtcNow.AddDays(-90), DateTimeOffset.UtcNow.AddDays(-1));

    private static X509Certificate2 Create(string host, DateTimeOffset notBefore, DateTimeOffset notAfter, bool selfSigned)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        if (System.Net.IPAddress.TryParse(host, out var ip))
        {
            names.AddIpAddress(ip);
        }
        else
        {
            names.AddDnsName(host);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        X509Certificate2 certificate;
        if (selfSigned)
        {
            certificate = request.CreateSelfSigned(notBefore, notAfter);
        }
        else
        {
            var serial = RandomNumberGenerator.GetBytes(12);
            using var issued = request.Create(Ca, notBefore, notAfter, serial);
            certificate = issued.CopyWithPrivateKey(key);
        }
        // Round-trip through PFX so SslStream on Linux can use the private key.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
