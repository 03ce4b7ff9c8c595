using Microsoft.EntityFrameworkCore;
using System.Collections.Concurrent;
using System.Security.Claims;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Tells long-lived connections (the admin WebSocket) when the credentials they were opened with stop being valid.
/// HTTP requests need none of this: every request re-checks its cookie's security stamp or its token. A socket is
/// authenticated once, at the upgrade, so it must listen here instead.
/// </summary>
/// <remarks>
/// Usage from a connection handler:
/// <code>
/// using var ended = sessions.CreateEndedSource(context.User, context.RequestAborted);
/// // ... run the socket loop with ended.Token; when it fires (and the request was not aborted), close with 1008.
/// </code>
/// Or subscribe to <see cref="SessionsRevoked"/>. Both fire when the password changes (every session issued with the
/// old security stamp ends; the caller's own session is re-issued with the new stamp, so its socket must reconnect
/// too), when a session signs out, and when an API token is revoked.
/// With several nodes (PostgreSQL) a revocation made on another node is read from the database, where every
/// revocation is stored: <see cref="ClusterRevocations"/> calls <see cref="RevokeEndedElsewhereAsync"/> every second.
/// </remarks>
internal sealed class AdminSessions
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _watchers = new(StringComparer.Ordinal);

    /// <summary>Raised after credentials are revoked, with what was revoked and why.</summary>
    public event EventHandler<SessionsRevokedEventArgs>? SessionsRevoked;

    /// <summary>
    /// A source that is cancelled when <paramref name="user"/>'s credentials are revoked — its security stamp
    /// (password change), its own session (sign-out) or its API token (revoked) — or when <paramref name="alsoWhen"/>
    /// is. The caller disposes it when the connection ends, which also unhooks it from the revocation sources.
    /// </summary>
    public CancellationTokenSource CreateEndedSource(ClaimsPrincipal user, CancellationToken alsoWhen)
    {
        var tokens = Keys(user).Select(k => _watchers.GetOrAdd(k, _ => new CancellationTokenSource()).Token).Append(alsoWhen).ToArray();
        return CancellationTokenSource.CreateLinkedTokenSource(tokens);
    }

    /// <summary>
    /// Whether <paramref name="user"/>'s credentials are still good, read from the database now. A connection calls it
    /// right after <see cref="CreateEndedSource"/>: a revocation between the request's authentication and that call
    /// would otherwise go unheard.
    /// </summary>
    public static async Task<bool> StillValidAsync(ClaimsPrincipal user, Storage.UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        if (user.FindFirstValue(AdminClaims.TokenId) is { } tokenText)
        {
            var tokenId = int.Parse(tokenText, System.Globalization.CultureInfo.InvariantCulture);
            return await db.ApiTokens.AnyAsync(t => t.Id == tokenId && t.RevokedAt == null, cancellationToken);
        }
        var stamp = user.FindFirstValue(AdminClaims.SecurityStamp);
        var session = user.FindFirstValue(AdminClaims.SessionId) ?? "";
        return stamp is not null
            && await db.AdminAccounts.AnyAsync(a => a.SecurityStamp == stamp, cancellationToken)
            && !await db.EndedSessions.AnyAsync(s => s.SessionId == session, cancellationToken);
    }

    /// <summary>Every session that carries <paramref name="securityStamp"/> has ended (the password changed).</summary>
    public void RevokeStamp(string securityStamp) => Revoke($"stamp:{securityStamp}", SessionsRevokedReason.PasswordChanged);

    /// <summary>One session signed out.</summary>
    public void RevokeSession(string sessionId) => Revoke($"session:{sessionId}", SessionsRevokedReason.SignedOut);

    /// <summary>An API token was revoked.</summary>
    public void RevokeToken(int tokenId) =>
        Revoke($"token:{tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)}", SessionsRevokedReason.TokenRevoked);

    /// <summary>
    /// Ends the watched credentials that the database says are no longer good: a session ended (signed out) on another
    /// node, a security stamp replaced there (password changed), a token revoked there. Reads only what some open
    /// connection watches; nothing when none is open.
    /// </summary>
    public async Task RevokeEndedElsewhereAsync(Storage.UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        var keys = _watchers.Keys.ToList();
        if (keys.Count == 0)
        {
            return;
        }
        var stamps = Values(keys, "stamp:");
        if (stamps.Count > 0)
        {
            var current = await db.AdminAccounts.AsNoTracking().Where(a => stamps.Contains(a.SecurityStamp)).Select(a => a.SecurityStamp)
                .ToListAsync(cancellationToken);
            foreach (var stamp in stamps.Except(current, StringComparer.Ordinal))
            {
                RevokeStamp(stamp);
            }
        }
        var sessionIds = Values(keys, "session:");
        if (sessionIds.Count > 0)
        {
            foreach (var ended in await db.EndedSessions.AsNoTracking().Where(s => sessionIds.Contains(s.SessionId)).Select(s => s.SessionId)
                         .ToListAsync(cancellationToken))
            {
                RevokeSession(ended);
            }
        }
        var tokenIds = Values(keys, "token:").Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (tokenIds.Count > 0)
        {
            var valid = await db.ApiTokens.AsNoTracking().Where(t => tokenIds.Contains(t.Id) && t.RevokedAt == null).Select(t => t.Id)
                .ToListAsync(cancellationToken);
            foreach (var revoked in tokenIds.Except(valid))
            {
                RevokeToken(revoked);
            }
        }
    }

    private static List<string> Values(IEnumerable<string> keys, string prefix) =>
        [.. keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..])];

    private void Revoke(string key, SessionsRevokedReason reason)
    {
        if (_watchers.TryRemove(key, out var source))
        {
            source.Cancel();
            // Not disposed: a linked source made from its token may still be reading it; the GC takes it.
        }
        SessionsRevoked?.Invoke(this, new SessionsRevokedEventArgs(key, reason));
    }

    private static IEnumerable<string> Keys(ClaimsPrincipal user)
    {
        if (user.FindFirstValue(AdminClaims.SecurityStamp) is { } stamp)
        {
            yield return $"stamp:{stamp}";
        }
        if (user.FindFirstValue(AdminClaims.SessionId) is { } session)
        {
            yield return $"session:{session}";
        }
        if (user.FindFirstValue(AdminClaims.TokenId) is { } token)
        {
            yield return $"token:{token}";
        }
    }
}

internal enum SessionsRevokedReason
{
    PasswordChanged,
    SignedOut,
    TokenRevoked,
}

/// <summary><paramref name="Key"/> is <c>stamp:…</c>, <c>session:…</c> or <c>token:…</c>, matching the principal's claims.</summary>
internal sealed class SessionsRevokedEventArgs(string key, SessionsRevokedReason reason) : EventArgs
{
    public string Key { get; } = key;
    public SessionsRevokedReason Reason { get; } = reason;
}
