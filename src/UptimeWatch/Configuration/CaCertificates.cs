using System.Security.Cryptography.X509Certificates;

namespace UptimeWatch.Configuration;

/// <summary>
/// The extra CA certificates to trust (<c>Probing:CaCertificatesFile</c>, a PEM bundle). Read here, beside the
/// settings, so that the configuration reader can refuse an unreadable file at start without knowing the probes.
/// </summary>
internal static class CaCertificates
{
    /// <summary>Loads the extra trusted CAs; a missing or unreadable file is a start-up error.</summary>
    public static IReadOnlyCollection<X509Certificate2> Load(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return [.. collection];
    }
}
