using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>What a request's bearer secret came to; each caller answers each outcome in its own words.</summary>
internal enum BearerOutcome
{
    /// <summary>No <c>Authorization: Bearer</c> header.</summary>
    Absent,

    /// <summary>Not shaped like a secret of the kind asked for: refused without touching the database.</summary>
    Malformed,

    /// <summary>No stored token has this secret.</summary>
    Unknown,

    Revoked,
    Valid,
}

/// <summary>The stored token a secret matched (revoked or valid); the caller's projection carries what else it needs.</summary>
internal interface IStoredToken
{
    int Id { get; }
    string Hash { get; }
    DateTimeOffset? RevokedAt { get; }
    DateTimeOffset? LastUsedAt { get; }
}

/// <summary>
/// The one lookup of <c>Authorization: Bearer …</c> against stored <see cref="TokenSecret"/> hashes, for API tokens and
/// agent tokens alike: parse, hash, find by hash, compare in fixed time, and note the use.
/// </summary>
internal static class BearerTokens
{
    private const string Bearer = "Bearer ";

    /// <summary>
    /// LastUsedAt is informational: writing it on every use would make each scripted request (or an agent reconnecting
    /// in a loop) a write.
    /// </summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Finds the token of <paramref name="kind"/> whose secret the request sends, in <paramref name="tokens"/> projected by
    /// <paramref name="select"/>; for a valid one, LastUsedAt is written (at most once per <see cref="LastUsedResolution"/>).
    /// </summary>
    public static async Task<(BearerOutcome Outcome, T? Token)> FindAsync<TEntity, T>(HttpRequest request, TokenSecret kind,
        DbSet<TEntity> tokens, Func<IQueryable<TEntity>, IQueryable<T>> select, TimeProvider time, CancellationToken cancellationToken)
        where TEntity : class, ISecretTokenRow
        where T : class, IStoredToken
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return (BearerOutcome.Absent, null);
        }
        var secret = header[Bearer.Length..].Trim();
        if (!kind.LooksValid(secret))
        {
            return (BearerOutcome.Malformed, null);
        }

        var hash = TokenSecret.Hash(secret);
        var hex = Convert.ToHexStringLower(hash);
        var token = await select(tokens.AsNoTracking().Where(t => t.Hash == hex))
            .FirstOrDefaultAsync(cancellationToken);
        // The index lookup already matched; the fixed-time compare keeps the final decision free of early exits.
        if (token is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(token.Hash), hash))
        {
            return (BearerOutcome.Unknown, null);
        }
        if (token.RevokedAt is not null)
        {
            return (BearerOutcome.Revoked, token);
        }

        var now = time.GetUtcNow();
        if (token.LastUsedAt is null || now - token.LastUsedAt >= LastUsedResolution)
        {
            var stale = now - LastUsedResolution;
            await tokens
                .Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= stale))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        }
        return (BearerOutcome.Valid, token);
    }
}
