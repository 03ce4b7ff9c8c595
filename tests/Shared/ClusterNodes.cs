using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Testing;

/// <summary>
/// Several real UptimeWatch processes (<see cref="HostProcess"/>) on one PostgreSQL database, the way a user runs a
/// cluster: the same binary, the same config file, each node in its own work folder, listening on a port the OS picks.
/// A node can be killed (<c>kill -9</c>) and started again; the test reads the shared database through
/// <see cref="OpenDatabase"/>. Disposing stops every node that is still running; the database stays on the server
/// (the server's owner deletes it).
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private readonly HostProcess?[] _nodes;
    private readonly string _root;

    private ClusterNodes(int count, string root, string connectionString, string config, IReadOnlyDictionary<string, string> environment)
    {
        _nodes = new HostProcess?[count];
        _root = root;
        ConnectionString = connectionString;
        ConfigPath = config;
        Environment = environment;
    }

    /// <summary>The database every node uses.</summary>
    public string ConnectionString { get; }

    /// <summary>The one config file every node is started with (a test may rewrite it to deploy a change).</summary>
    public string ConfigPath { get; }

    /// <summary>What every node gets in its environment besides the storage settings.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public int Count => _nodes.Length;

    /// <summary>The nodes that are running now.</summary>
    public IEnumerable<HostProcess> Nodes => _nodes.OfType<HostProcess>();

    /// <summary>Node <paramref name="index"/> (0-based) as it runs now.</summary>
    public HostProcess this[int index] =>
        _nodes[index] ?? throw new InvalidOperationException($"Node {index} is not running: StartNodeAsync({index}) first");

    /// <summary>
    /// Creates a database on <paramref name="server"/>, writes one config with these monitors (and extra settings of the
    /// UptimeWatch section), and starts <paramref name="count"/> nodes on it, one after the other, each waited for until
    /// it serves. <paramref name="nodeEnvironment"/> adds per-node variables (index → variables), e.g. a node id.
    /// <paramref name="atOnce"/> starts them all at the same moment instead (as an orchestrator does), and waits for all;
    /// The database is a migrated copy (<see cref="PostgresServer.CreateDatabaseAsync"/>) unless <paramref name="emptyDatabase"/>.
    /// <paramref name="pooling"/> gives the nodes a pooling connection string, as a real deployment has (the server's
    /// strings do not pool, so that its databases can be dropped): a load test needs it, or every query forks a backend.
    /// </summary>
    public static async Task<ClusterNodes> StartAsync(PostgresServer server, int count, IEnumerable<object> monitors, object? extra = null,
        IReadOnlyDictionary<string, string>? environment = null, Func<int, IReadOnlyDictionary<string, string>>? nodeEnvironment = null,
        bool atOnce = false, bool pooling = false, bool emptyDatabase = false)
    {
        var root = Path.Combine(Path.GetTempPath(), $"uw-cluster-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(root);
        var config = WriteConfig(root, monitors, extra);
        var cluster = new ClusterNodes(count, root, await server.CreateDatabaseAsync(migrated: !emptyDatabase), config, environment ?? new Dictionary<string, string>())
        {
            _nodeEnvironment = nodeEnvironment,
            _pooling = pooling,
        };
        try
        {
            if (atOnce)
            {
                await Task.WhenAll(Enumerable.Range(0, count).Select(cluster.StartNodeAsync));
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    await cluster.StartNodeAsync(i);
                }
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private Func<int, IReadOnlyDictionary<string, string>>? _nodeEnvironment;
    private readonly Dictionary<int, string> _nodeConfigs = [];
    private bool _pooling;

    /// <summary>The config file node <paramref name="index"/> starts with: <see cref="ConfigPath"/> unless it was given its own.</summary>
    public string ConfigPathOf(int index) => _nodeConfigs.TryGetValue(index, out var path) ? path : ConfigPath;

    /// <summary>
    /// Gives node <paramref name="index"/> a config file of its own with these monitors (and extra settings), as a node
    /// deployed with a different file: used by every later start of that node (a node already on its own file reloads it).
    /// </summary>
    public string WriteNodeConfig(int index, IEnumerable<object> monitors, object? extra = null)
    {
        var folder = Path.Combine(_root, $"config-node-{index + 1}");
        Directory.CreateDirectory(folder);
        var written = WriteConfig(folder, monitors, extra);
        _nodeConfigs[index] = written;
        return written;
    }

    /// <summary>Starts node <paramref name="index"/> (again, after a kill) and waits until it serves.</summary>
    public async Task<HostProcess> StartNodeAsync(int index)
    {
        if (_nodes[index] is { } running)
        {
            await running.DisposeAsync();
        }
        var work = Path.Combine(_root, $"node-{index + 1}");
        Directory.CreateDirectory(work);
        var environment = new Dictionary<string, string>(Environment)
        {
            ["UptimeWatch__Storage__Provider"] = "PostgreSQL",
            // Pooling as a user runs it when asked (the nodes then hold connections a server restart breaks); the
            // test's own connections stay unpooled.
            ["UptimeWatch__Storage__ConnectionString"] = _pooling ? ConnectionString.Replace("Pooling=false", "Pooling=true") : ConnectionString,
        };
        foreach (var (key, value) in _nodeEnvironment?.Invoke(index) ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        _nodes[index] = null;
        var node = await HostProcess.StartServingAsync(work, ["--config", ConfigPathOf(index)], environment);
        _nodes[index] = node;
        return node;
    }

    /// <summary>SIGKILL to node <paramref name="index"/> itself: no shutdown code runs, its rows and locks stay behind.</summary>
    public async Task KillAsync(int index)
    {
        await this[index].KillAsync();
        await this[index].DisposeAsync();
        _nodes[index] = null;
    }

    /// <summary>The shared database, for a test that reads stored rows itself.</summary>
    public UptimeWatchDbContext OpenDatabase() =>
        new(new DbContextOptionsBuilder<UptimeWatchDbContext>().UseNpgsql(ConnectionString).Options);

    /// <summary>Every running node's output, for a failure message.</summary>
    public string Output() => string.Join("\n", _nodes.Select((node, i) => node is null
        ? $"--- node {i + 1}: not running"
        : $"--- node {i + 1} (pid {node.Id}):\n{node.Stdout}\n{node.Stderr}"));

    /// <summary>Writes a config with these monitors (and settings of the UptimeWatch section) to root/config.json.</summary>
    public static string WriteConfig(string root, IEnumerable<object> monitors, object? extra = null)
    {
        var config = Path.Combine(root, "config.json");
        var section = new Dictionary<string, object?> { ["DataDirectory"] = "data", ["Monitors"] = monitors.ToList() };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                section[property.Name] = property.Value;
            }
        }
        File.WriteAllText(config, JsonSerializer.Serialize(new { UptimeWatch = section }));
        return config;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
