using DnsClient;

namespace UptimeWatch.Configuration;

/// <summary>What kind of check a monitor runs; inferred from the URL scheme unless <c>Type</c> says.</summary>
internal enum MonitorType
{
    Http,
    Tcp,
    Dns,
    Tls,
    Push,
}

/// <summary>
/// A validated monitor definition, as it comes from the config file (and later the console). Built only by
/// <see cref="MonitorValidator"/>; <see cref="Fields"/> keeps the input it was built from, which is what the
/// database stores, so every reload goes through the same rules.
/// </summary>
internal sealed record MonitorDefinition
{
    public required string Slug { get; init; }
    public required string Name { get; init; }
    public string? Group { get; init; }
    public required MonitorType Type { get; init; }

    /// <summary>The target; null for push monitors, which are called rather than calling.</summary>
    public Uri? Url { get; init; }
    public required int IntervalSeconds { get; init; }
    public required int TimeoutSeconds { get; init; }
    public bool Public { get; init; } = true;
    public int FailureThreshold { get; init; } = 2;
    public int SuccessThreshold { get; init; } = 1;

    /// <summary>After a failure that does not yet make the monitor down, the next check comes this soon.</summary>
    public int? RetryIntervalSeconds { get; init; }

    /// <summary>A slower answer than this makes the verdict degraded rather than up.</summary>
    public int? MaxResponseMs { get; init; }
    public int CertificateExpiryWarningDays { get; init; } = 14;
    public double FlapStartPercent { get; init; } = 20;
    public double FlapStopPercent { get; init; } = 5;
    public IReadOnlyList<MaintenanceWindow> Maintenance { get; init; } = [];

    public HttpCheck? Http { get; init; }
    public DnsCheck? Dns { get; init; }
    public PushCheck? Push { get; init; }

    /// <summary>Where the monitor is checked from (<c>Locations</c>); by default this server only.</summary>
    public LocationSet Locations { get; init; } = LocationSet.Default;

    /// <summary>How many locations must confirm down (<c>Quorum</c>); null for a majority of those the monitor has.</summary>
    public int? Quorum { get; init; }

    /// <summary>The normalised input fields (flattened with ':'), for storage and re-validation.</summary>
    public required IReadOnlyDictionary<string, string?> Fields { get; init; }

    /// <summary>The URL as shown to people: the target, or the kind of monitor for push monitors.</summary>
    public string Target => Url?.ToString() ?? "push";

    public bool InMaintenance(DateTimeOffset at) => Maintenance.Any(w => w.Contains(at));
}

/// <summary>HTTP(S) request and assertions.</summary>
internal sealed record HttpCheck(
    string Method,
    StatusCodeSet ExpectedStatus,
    string? Keyword,
    string? KeywordAbsent,
    JsonAssertion? Json,
    IReadOnlyDictionary<string, string> Headers,
    string? Body,
    IReadOnlyDictionary<string, string> RequiredHeaders,
    string? BasicAuthUsername,
    string? BasicAuthPassword,
    string? BearerToken,
    bool IgnoreTlsErrors,
    int MaxRedirects,
    bool AllowInsecureRedirects = false)
{
    /// <summary>Whether the body has to be read at all.</summary>
    public bool ReadsBody => Keyword is not null || KeywordAbsent is not null || Json is not null;
}

/// <summary><c>dns://name?type=A&amp;server=host:port&amp;expected=a,b</c>.</summary>
internal sealed record DnsCheck(string Name, QueryType RecordType, string? Server, IReadOnlyList<string> Expected);

/// <summary>Heartbeat settings: down when nothing arrived within the interval plus the grace period.</summary>
internal sealed record PushCheck(int GraceSeconds, string? Token);

/// <summary>
/// The locations a monitor is checked from: every one there is (<see cref="All"/>), or the ones named. No name and not all
/// (the default) means this server only, whatever its <c>UptimeWatch:Location</c> is called.
/// </summary>
internal sealed record LocationSet(bool All, IReadOnlyList<string> Names)
{
    /// <summary>The most locations a monitor can name: more agents than this for one monitor is not a quorum, it is a crowd.</summary>
    public const int MaxLocations = 32;

    public static readonly LocationSet Default = new(false, []);

    /// <summary>Whether this server checks the monitor itself; <paramref name="server"/> is its <c>UptimeWatch:Location</c>.</summary>
    public bool IncludesServer(string server) =>
        All || Names.Count == 0 || Names.Contains(server, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the agents of <paramref name="location"/> check the monitor.</summary>
    public bool IncludesAgent(string location) => All || Names.Contains(location, StringComparer.OrdinalIgnoreCase);

    public bool Equals(LocationSet? other) =>
        other is not null && All == other.All && Names.SequenceEqual(other.Names, StringComparer.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(All, Names.Count);
}
