namespace UptimeWatch.Storage;

/// <summary>
/// A place monitors are checked from by an agent (issue "Probe locations"): named by the team ("eu-west"), created with
/// its first agent token. The server itself is a location too but has no row: it is <see cref="CheckResult.ThisServer"/>,
/// named by its <c>UptimeWatch:Location</c> setting.
/// </summary>
public sealed class ProbeLocation
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
