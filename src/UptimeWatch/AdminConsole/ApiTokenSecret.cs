using System.Security.Cryptography;
using System.Text;

namespace UptimeWatch.AdminConsole;

/// <summary>API token secrets: <c>uw_</c> and 32 random URL-safe characters (192 bits), stored only as a SHA-256 hash.</summary>
internal static class ApiTokenSecret
{
    public const string Marker = "uw_";
    public const int PrefixLength = 8;
    private const int RandomLength = 32;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string New() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>True for something shaped like a token; anything else is refused before touching the database.</summary>
    public static bool LooksValid(string secret) =>
        secret.Length == Marker.Length + RandomLength && secret.StartsWith(Marker, StringComparison.Ordinal)
        && secret.AsSpan(Marker.Length).IndexOfAnyExcept(Alphabet) < 0;

    /// <summary>A fast hash suffices (unlike passwords): the secret is random and long, so there is nothing to guess.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string HashHex(string secret) => Convert.ToHexStringLower(Hash(secret));
}
