using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// The monitors file across the nodes of a PostgreSQL cluster. Every node has its own copy of the file; the database
/// remembers each file applied (<see cref="AppliedConfig"/>, by the hash of its monitor definitions), the newest
/// being the one the cluster runs. The rule (docs/scale-out.md, "Config files in a cluster"):
/// <list type="bullet">
/// <item>a file the cluster runs already is not applied again (the same file on every node is applied once);</item>
/// <item>a node starting with a file the cluster has never run applies it: that is a new deployment;</item>
/// <item>a node starting with a file the cluster ran before and has replaced since applies it only if its file changed
/// since this node last applied one (an edit made while it was stopped); a node that merely has an old copy does NOT
/// apply it: it runs the cluster's monitors and reports the difference (log, <c>/healthz</c>, console);</item>
/// <item>monitors edited while the node runs (a reload) are a deliberate change and are applied, even an earlier version.</item>
/// </list>
/// On SQLite (one node) none of this runs: the file is applied at every start, as always.
/// </summary>
internal sealed partial class ClusterConfig(bool enabled, string dataDirectory, IDbContextFactory<UptimeWatchDbContext> dbFactory, ILogger logger)
{
    private ConfigFile? _file;
    private bool? _reportedDiffers;

    private readonly Lazy<string> _nodeName = new(() => ReadNodeName(dataDirectory));

    /// <summary>The file in the data folder that keeps this node's id across restarts.</summary>
    public const string NodeIdFile = "node-id";

    /// <summary>
    /// This node as the database records who applied a file: the host name and an id kept in the data folder, so that
    /// two nodes on one host are told apart and a node is the same node after a restart.
    /// </summary>
    public string NodeName => _nodeName.Value;

    private static string ReadNodeName(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, NodeIdFile);
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 and <= 64 } kept)
            {
                return $"{Environment.MachineName}/{kept}";
            }
            Directory.CreateDirectory(dataDirectory);
            var id = RandomNumberGenerator.GetHexString(8, lowercase: true);
            File.WriteAllText(path, id);
            return $"{Environment.MachineName}/{id}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only data folder: still a name, though a restart makes it a new node (its old files then only differ).
            return $"{Environment.MachineName}/pid-{Environment.ProcessId}";
        }
    }

    public bool Enabled => enabled;

    /// <summary>
    /// A fingerprint of the monitor definitions as configured: the <c>UptimeWatch:Monitors</c> keys and values, in key
    /// order. Whitespace, comments and settings outside the monitors (storage, addresses: they differ per node) do not count.
    /// </summary>
    public static string HashOf(IConfiguration configuration)
    {
        var section = configuration.GetSection($"{UptimeWatchOptions.Section}:Monitors");
        var text = new StringBuilder();
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true)
                     .Where(pair => pair.Value is not null)
                     .Select(pair => (Key: pair.Key.ToLowerInvariant(), pair.Value))
                     .OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// Inside the sync's transaction: whether this file is to be applied now. In a cluster this takes the sync lock
    /// (kept until the transaction ends) and decides by the rule above, logging what it decided.
    /// </summary>
    public async Task<bool> ShouldApplyAsync(UptimeWatchDbContext db, ConfigFile file, ConfigChange change, CancellationToken cancellationToken)
    {
        var previous = _file;
        _file = file;
        if (!enabled)
        {
            return true;
        }
        await ClusterLocks.TakeForTransactionAsync(db, ClusterLocks.ConfigSync, cancellationToken);
        var current = await CurrentAsync(db, cancellationToken);
        // A reload whose monitors are unchanged (another setting was edited, or the file was only touched) is no
        // deliberate change of the monitors: it follows the start-up rule, or a stale node would revert the cluster.
        var edited = change == ConfigChange.Reload && previous?.Hash != file.Hash;
        if (current is null || edited)
        {
            return current?.Hash != file.Hash || Skip(current, differs: false);
        }
        if (current.Hash == file.Hash)
        {
            return Skip(current, differs: false);
        }
        var ranBefore = await db.AppliedConfigs.AsNoTracking().AnyAsync(c => c.Hash == file.Hash, cancellationToken);
        if (!ranBefore)
        {
            return true;
        }
        // An earlier file: a deliberate change only if this node's file changed since it last applied one (an edit made
        // while it was stopped, e.g. going back a version on a single node). A node that still has the file it last
        // applied, or never applied one, just has an old copy.
        var lastOwn = await db.AppliedConfigs.AsNoTracking().Where(c => c.AppliedBy == NodeName)
            .OrderByDescending(c => c.Id).Select(c => c.Hash).FirstOrDefaultAsync(cancellationToken);
        return (lastOwn is not null && lastOwn != file.Hash) || Skip(current, differs: true);
    }

    private bool Skip(AppliedConfig current, bool differs)
    {
        _reportedDiffers = differs;
        if (differs)
        {
            LogDiffers(Describe(_file!), current.AppliedAt, current.AppliedBy, Describe(current));
        }
        else
        {
            LogInStep(Describe(_file!), current.AppliedAt, current.AppliedBy);
        }
        return false;
    }

    /// <summary>Adds the record of this file, applied now by this node, to the sync's transaction.</summary>
    public void RecordApplied(UptimeWatchDbContext db, ConfigFile file, DateTimeOffset now)
    {
        if (enabled)
        {
            db.AppliedConfigs.Add(new AppliedConfig
            {
                Hash = file.Hash, AppliedAt = now, AppliedBy = NodeName, File = Truncate(file.Path), Monitors = file.Monitors,
            });
        }
    }

    /// <summary>After the commit: the file is what the cluster runs now.</summary>
    public void Applied(ConfigFile file, DateTimeOffset now)
    {
        if (enabled)
        {
            _reportedDiffers = false;
            LogApplied(Describe(file), now);
        }
    }

    /// <summary>
    /// Whether this node's file is the one the cluster runs (null on SQLite). Asked by <c>/healthz</c> and the console;
    /// a change since the last answer (another node applied a newer file) is logged once.
    /// </summary>
    public async Task<ClusterConfigStatus?> StatusAsync(CancellationToken cancellationToken)
    {
        if (!enabled || _file is not { } file)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await CurrentAsync(db, cancellationToken) is not { } current)
        {
            return null;
        }
        var differs = current.Hash != file.Hash;
        if (differs != _reportedDiffers)
        {
            _reportedDiffers = differs;
            if (differs)
            {
                LogDiffers(Describe(file), current.AppliedAt, current.AppliedBy, Describe(current));
            }
            else
            {
                LogInStep(Describe(file), current.AppliedAt, current.AppliedBy);
            }
        }
        var at = current.AppliedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var message = differs
            ? $"This node's monitors file {Describe(file)} differs from the one the cluster runs ({Describe(current)}, applied {at} by {current.AppliedBy}). " +
              "This node runs the cluster's monitors and has not applied its own file. Deploy the cluster's file to this node, " +
              "or, to make this file the cluster's, save it again while the node runs."
            : $"This node's monitors file {Describe(file)} is the one the cluster runs (applied {at} by {current.AppliedBy}).";
        return new ClusterConfigStatus(differs, message, current.AppliedAt, current.AppliedBy);
    }

    private static Task<AppliedConfig?> CurrentAsync(UptimeWatchDbContext db, CancellationToken cancellationToken) =>
        db.AppliedConfigs.AsNoTracking().OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);

    private static string Describe(ConfigFile file) => $"{(file.Path is null ? "" : $"\"{file.Path}\" ")}({file.Monitors} monitors, {file.Hash[..12]})";

    private static string Describe(AppliedConfig applied) =>
        $"{(applied.File is null ? "" : $"\"{applied.File}\" ")}({applied.Monitors} monitors, {applied.Hash[..12]})";

    private static string? Truncate(string? path) => path is { Length: > 1000 } ? path[..1000] : path;

    [LoggerMessage(LogLevel.Information, "This node applied its monitors file to the cluster: {File}, at {AppliedAt}")]
    private partial void LogApplied(string file, DateTimeOffset appliedAt);

    [LoggerMessage(LogLevel.Information, "This node's monitors file {File} is the one the cluster runs (applied {AppliedAt} by {AppliedBy}): nothing to apply")]
    private partial void LogInStep(string file, DateTimeOffset appliedAt, string appliedBy);

    [LoggerMessage(LogLevel.Warning, "This node's monitors file {File} differs from the one the cluster runs, {ClusterFile} applied {AppliedAt} by {AppliedBy}. " +
        "It is a file the cluster ran before and has replaced since, so it is NOT applied: this node runs the cluster's monitors. " +
        "Deploy the cluster's file here, or save this one again while the node runs to make it the cluster's")]
    private partial void LogDiffers(string file, DateTimeOffset appliedAt, string appliedBy, string clusterFile);
}

/// <summary>How a sync came about: the file read at start-up, or an edit picked up while running.</summary>
internal enum ConfigChange
{
    Start,
    Reload,
}

/// <summary>A monitors file as this node read it: the hash of its definitions, where it is, how many monitors.</summary>
internal sealed record ConfigFile(string Hash, string? Path, int Monitors);

/// <summary>Whether this node's monitors file is the one the cluster runs, and a sentence saying so.</summary>
internal sealed record ClusterConfigStatus(bool Differs, string Message, DateTimeOffset AppliedAt, string AppliedBy);
