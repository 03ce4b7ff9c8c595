namespace UptimeWatch.Storage;

/// <summary>
/// What an agent signs in with: scoped to one <see cref="ProbeLocation"/>, stored only as a SHA-256 hash of the secret
/// (shown once, when created). Revoked tokens are kept so the console can say when; an agent connected with one is
/// disconnected at once.
/// </summary>
public sealed class AgentToken : ISecretTokenRow
{
    public int Id { get; set; }
    public int LocationId { get; set; }

    /// <summary>The start of the secret (<c>uw_agent_</c> and 4 more), to tell tokens apart in lists; not enough to use one.</summary>
    public required string Prefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole secret.</summary>
    public required string Hash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
