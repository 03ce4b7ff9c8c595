namespace UptimeWatch.Storage;

/// <summary>
/// One monitors file applied to the database by a node of a PostgreSQL cluster: the newest row is the file the cluster
/// runs; older rows are files it ran before. Lets a node tell "the cluster's file", "a new file" and "a file the cluster
/// has moved past" apart (docs/scale-out.md, "Config files in a cluster"). Unused on SQLite (one node).
/// </summary>
public sealed class AppliedConfig
{
    public long Id { get; set; }

    /// <summary>SHA-256 (hex) of the monitor definitions as configured (the <c>UptimeWatch:Monitors</c> section).</summary>
    public required string Hash { get; set; }

    public DateTimeOffset AppliedAt { get; set; }

    /// <summary>The node that applied it: its host name and the id kept in its data folder.</summary>
    public required string AppliedBy { get; set; }

    /// <summary>The file on that node, as it named it.</summary>
    public string? File { get; set; }

    public int Monitors { get; set; }
}
