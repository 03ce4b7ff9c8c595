using System.Security.Cryptography;
using System.Text;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// A kind of bearer secret: its marker and 32 random URL-safe characters (192 bits), stored only as a SHA-256 hash, with
/// the first <see cref="PrefixLength"/> characters kept to tell secrets apart in lists. Each kind has its own marker, so
/// one kind is never taken for another: API tokens (<see cref="ApiToken"/>, <c>uw_</c>), agent tokens (<c>uw_agent_</c>).
/// </summary>
internal sealed class TokenSecret(string marker, int prefixLength)
{
    /// <summary>API tokens for scripts: <c>uw_</c> and 32.</summary>
    public static readonly TokenSecret ApiToken = new("uw_", 8);

    private const int RandomLength = 32;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public string Marker => marker;
    public int PrefixLength => prefixLength;

    public string New() => marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>True for something shaped like this kind of secret; anything else is refused before touching the database.</summary>
    public bool LooksValid(string? secret) =>
        secret is not null && secret.Length == marker.Length + RandomLength && secret.StartsWith(marker, StringComparison.Ordinal)
        && secret.AsSpan(marker.Length).IndexOfAnyExcept(Alphabet) < 0;

    /// <summary>A fast hash suffices (unlike passwords): the secret is random and long, so there is nothing to guess.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string HashHex(string secret) => Convert.ToHexStringLower(Hash(secret));
}
