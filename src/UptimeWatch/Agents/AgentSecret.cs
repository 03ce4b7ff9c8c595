using System.Security.Cryptography;
using System.Text;

namespace UptimeWatch.Agents;

/// <summary>
/// Agent token secrets: <c>uw_agent_</c> and 32 random URL-safe characters (192 bits), stored only as a SHA-256 hash.
/// Their own kind: one is never taken for an API token (whose shape is <c>uw_</c> and 32), nor the other way round.
/// </summary>
internal static class AgentSecret
{
    public const string Marker = "uw_agent_";
    public const int PrefixLength = 13;
    private const int RandomLength = 32;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string New() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>True for something shaped like an agent token; anything else is refused before touching the database.</summary>
    public static bool LooksValid(string? secret) =>
        secret is not null && secret.Length == Marker.Length + RandomLength && secret.StartsWith(Marker, StringComparison.Ordinal)
        && secret.AsSpan(Marker.Length).IndexOfAnyExcept(Alphabet) < 0;

    public static string HashHex(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
