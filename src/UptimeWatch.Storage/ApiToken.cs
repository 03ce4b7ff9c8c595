namespace UptimeWatch.Storage;

/// <summary>
/// A bearer token for scripts. Only a SHA-256 hash of the secret is stored: the secret is shown once, when created.
/// Revoked tokens are kept (not deleted) so the console can show when and which one was revoked.
/// </summary>
public sealed class ApiToken : ISecretTokenRow
{
    public int Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The first 8 characters of the secret, to tell tokens apart in lists; not enough to use one.</summary>
    public required string Prefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole secret.</summary>
    public required string Hash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
