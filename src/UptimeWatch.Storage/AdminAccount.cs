namespace UptimeWatch.Storage;

/// <summary>
/// The console's administrator. One account for now; the table has a user name so that more accounts (and roles)
/// can come later without a new shape.
/// </summary>
public sealed class AdminAccount
{
    public int Id { get; set; }
    public string UserName { get; set; } = "admin";

    /// <summary>ASP.NET Core <c>PasswordHasher</c> output (algorithm, salt and iteration count included).</summary>
    public required string PasswordHash { get; set; }

    public DateTimeOffset PasswordChangedAt { get; set; }

    /// <summary>
    /// Random value copied into every session; replaced when the password changes, which ends every session
    /// issued before.
    /// </summary>
    public required string SecurityStamp { get; set; }
}

/// <summary>
/// A session that was signed out. Its cookie would otherwise stay valid until it expires (cookies carry the session,
/// the server keeps none), so a copied cookie could outlive the sign-out; listed here, it is refused. Kept as long as
/// such a cookie could still be valid.
/// </summary>
public sealed class EndedSession
{
    public required string SessionId { get; set; }
    public DateTimeOffset EndedAt { get; set; }
}
