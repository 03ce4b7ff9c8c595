using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace UptimeWatch.Tests.Architecture;

/// <summary>
/// The folders of src/UptimeWatch in layers, as docs/development.md draws them: a folder may use folders of lower
/// layers only, so no two folders use each other. Only the host assembly's types count; the schema assembly
/// (UptimeWatch.Storage.dll: entities, DbContext, MonitorStatus…) is free for all, and Program.cs wires everything.
/// </summary>
public sealed class LayerTests
{
    // folder -> layer. A new top-level folder must be added here (and to docs/development.md) before it builds green.
    internal static readonly IReadOnlyDictionary<string, int> Layers = new Dictionary<string, int>
    {
        ["Configuration"] = 0,
        ["Storage"] = 1,
        ["Hosting"] = 1,
        ["Logging"] = 2,
        ["Probing"] = 2,
        ["Monitoring"] = 3,
        ["Telemetry"] = 4,
        ["Journal"] = 5,
        ["Alerting"] = 6,
        ["Scheduling"] = 6,
        ["Live"] = 7,
        ["StatusPage"] = 7,
        ["AdminConsole"] = 8,
        ["Agents"] = 9,
        ["Operations"] = 9,
        ["Health"] = 9,
    };

    const string Root = "UptimeWatch.";

    // Loading reads every method body of the host: do it once for the class.
    static readonly Lazy<ArchUnitNET.Domain.Architecture> Host = new(() =>
        new ArchLoader().LoadAssemblies(typeof(Program).Assembly).Build());

    [Fact]
    public void Every_folder_uses_only_folders_of_lower_layers()
    {
        var violations = Violations(HostTypes());

        Assert.True(violations.Count == 0,
            $"{violations.Count} use(s) of a folder of the same or a higher layer (see docs/development.md, " +
            "\"How the source is laid out\"; move the shared piece one layer down):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_folder_of_the_host_is_in_the_layer_table()
    {
        var unknown = HostTypes()
            .Where(t => IsCounted(t) && !Layers.ContainsKey(FolderOf(t)))
            .GroupBy(FolderOf)
            .Select(g => $"{g.Key} (e.g. {DeclaringName(g.First())})")
            .Order()
            .ToList();

        Assert.True(unknown.Count == 0,
            "Folder(s) not in the layer table of LayerTests and docs/development.md: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Every_type_of_the_host_lives_in_a_folder_namespace()
    {
        // A type outside UptimeWatch.<Folder> would escape the rule: only Program and generated code may.
        var stray = HostTypes()
            .Where(t => !IsCounted(t) && !IsGenerated(t) && t.FullName != "Program")
            .Select(t => t.FullName)
            .Order()
            .ToList();

        Assert.True(stray.Count == 0, "Type(s) outside a UptimeWatch.<Folder> namespace: " + string.Join(", ", stray));
    }

    /// <summary>"Origin uses Target (Folder, layer n -> Folder, layer m)", one line per pair of declaring types.</summary>
    internal static List<string> Violations(IEnumerable<IType> types) =>
        types
            .Where(t => IsCounted(t) && Layers.ContainsKey(FolderOf(t)))
            .SelectMany(t => t.Dependencies.Select(d => (From: t, To: d.Target)))
            .Where(p => IsHost(p.To) && IsCounted(p.To))
            .Select(p => (From: p.From, To: p.To, FromFolder: FolderOf(p.From), ToFolder: FolderOf(p.To)))
            .Where(p => p.FromFolder != p.ToFolder
                && Layers.TryGetValue(p.ToFolder, out var to) && to >= Layers[p.FromFolder])
            .Select(p => $"{DeclaringName(p.From)} uses {DeclaringName(p.To)} " +
                $"({p.FromFolder}, layer {Layers[p.FromFolder]} -> {p.ToFolder}, layer {Layers[p.ToFolder]})")
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    internal static IEnumerable<IType> HostTypes() => Host.Value.Types.Where(IsHost);

    // Types the loader did not read (framework, packages) have no assembly here.
    static bool IsHost(IType type) => type.Assembly?.Name is { } name
        && (name == "UptimeWatch" || name.StartsWith("UptimeWatch,", StringComparison.Ordinal));

    static bool IsCounted(IType type) => type.Namespace.FullName.StartsWith(Root, StringComparison.Ordinal);

    // UptimeWatch.Alerting.Channels -> Alerting. Nested types (closures, async state machines, display classes)
    // carry their declaring type's namespace, so they count as its folder.
    static string FolderOf(IType type) => type.Namespace.FullName[Root.Length..].Split('.')[0];

    // Source generators (regex, logging, OpenAPI) emit into their own namespaces; the compiler into "<…>" names.
    static bool IsGenerated(IType type) => type.Name.StartsWith('<')
        || type.Namespace.FullName.StartsWith("System.", StringComparison.Ordinal)
        || type.Namespace.FullName.StartsWith("Microsoft.", StringComparison.Ordinal);

    // The declaring type's full name: a closure of PushApi is reported as PushApi.
    static string DeclaringName(IType type)
    {
        var name = type.FullName;
        var nested = name.IndexOfAny(['+', '/']);
        name = nested < 0 ? name : name[..nested];
        var generic = name.IndexOf('`');
        return generic < 0 ? name : name[..generic];
    }
}
