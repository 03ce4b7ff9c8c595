namespace UptimeWatch.Storage;

/// <summary>
/// What every table of bearer secrets has (<see cref="ApiToken"/>, <see cref="AgentToken"/>): the secret's hash, when it
/// was last used and when revoked. The one lookup of a bearer secret reads them through this.
/// </summary>
public interface ISecretTokenRow
{
    int Id { get; }

    /// <summary>SHA-256 of the secret, lowercase hex.</summary>
    string Hash { get; }

    DateTimeOffset? LastUsedAt { get; set; }

    DateTimeOffset? RevokedAt { get; }
}
