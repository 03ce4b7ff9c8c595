namespace UptimeWatch.Configuration;

/// <summary>The <c>UptimeWatch</c> configuration section, validated. Built by <see cref="UptimeWatchConfigReader"/>.</summary>
internal sealed class UptimeWatchOptions
{
    public const string Section = "UptimeWatch";

    /// <summary>Folder for the SQLite file and the logs; relative paths are taken from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// The name of the place this server probes from (<c>UptimeWatch:Location</c>), stored with each of its checks as
    /// location 0 (CheckResult.ThisServer) and shown in the admin API, the admin protocol and
    /// the metrics. Every node of a cluster is the same location: give them the same name.
    /// </summary>
    public string Location { get; set; } = "local";

    public StorageOptions Storage { get; set; } = new();

    public SchedulerOptions Scheduler { get; set; } = new();

    public ProbingOptions Probing { get; set; } = new();

    public LiveOptions Live { get; set; } = new();

    public StatusPageOptions StatusPage { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    public AdminOptions Admin { get; set; } = new();

    public AlertingOptions Alerting { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    /// <summary>The monitors defined in the config file, in file order.</summary>
    public IReadOnlyList<MonitorDefinition> Monitors { get; set; } = [];

    /// <summary>Everything wrong with the section, one line per problem; empty when valid.</summary>
    public IReadOnlyList<string> Errors { get; set; } = [];
}

/// <summary><c>UptimeWatch:Storage</c>.</summary>
internal sealed class StorageOptions
{
    /// <summary>The database engine: <c>Sqlite</c> (one node, the default) or <c>PostgreSQL</c> (one or several nodes).</summary>
    public string Provider { get; set; } = SqliteProvider;

    public const string SqliteProvider = "Sqlite";

    public const string PostgresProvider = "PostgreSQL";

    public bool IsPostgres => Provider == PostgresProvider;

    /// <summary>
    /// Overrides the SQLite connection string (default <c>Data Source={DataDirectory}/uptimewatch.db</c>); required for
    /// PostgreSQL. Validated when read (it may hold a password: no message repeats it unmasked).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>How many pending writes the writer holds before probes wait for it.</summary>
    public int WriteQueueCapacity { get; set; } = 50_000;

    /// <summary>The most results the writer puts in one transaction.</summary>
    public int WriteBatchSize { get; set; } = 1_000;

    /// <summary>
    /// How long a routine check result may wait for others to share its transaction; 0 writes each at once. A status
    /// change, a pause or resume, a heartbeat, an acknowledgement or a "check now" is written without waiting.
    /// </summary>
    public int WriteWindowMilliseconds { get; set; } = 500;

    /// <summary>
    /// How long commits may keep failing (a full disk, a database gone read-only) before <c>/healthz</c> answers 503
    /// and the admin console shows a banner. Shorter failures (a moment of lock contention) are only logged.
    /// </summary>
    public int UnhealthyAfterSeconds { get; set; } = 10;
}

/// <summary><c>UptimeWatch:Scheduler</c>.</summary>
internal sealed class SchedulerOptions
{
    /// <summary>How many checks may run at the same time.</summary>
    public int MaxConcurrency { get; set; } = 200;

    /// <summary>How long shutdown waits for running checks and the write queue.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// PostgreSQL only: how often a node tells the cluster it is alive (Quartz's cluster check-in). A node silent for
    /// about two of these is declared dead and its partitions are taken over.
    /// </summary>
    public int ClusterCheckinSeconds { get; set; } = 5;

    /// <summary>PostgreSQL only: this node's name in the cluster and on the checks it stores; unique per node.</summary>
    public string NodeId { get; set; } = DefaultNodeId();

    /// <summary>The longest node id: it is stored on every check and in Quartz's 200-character instance column.</summary>
    public const int NodeIdMaxLength = 64;

    /// <summary>The machine name and process id, reduced to the characters a node id may hold, so two processes on one host differ.</summary>
    public static string DefaultNodeId()
    {
        var machine = new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
        var id = $"{machine}-{Environment.ProcessId}";
        return id.Length <= NodeIdMaxLength ? id : id[^NodeIdMaxLength..];
    }

    /// <summary>
    /// What the writer gets, after running checks are cut off (Scheduling's CheckCutOff), to store the last results.
    /// The host's own shutdown timeout is <see cref="ShutdownTimeoutSeconds"/> plus this.
    /// </summary>
    public static readonly TimeSpan WriteReserve = TimeSpan.FromSeconds(15);
}

/// <summary><c>UptimeWatch:Probing</c>.</summary>
internal sealed class ProbingOptions
{
    /// <summary>A PEM file of extra CA certificates to trust (an internal PKI), besides the system's.</summary>
    public string? CaCertificatesFile { get; set; }

    /// <summary>The local address probe connections go out from (a multi-homed host); none: the system picks.</summary>
    public System.Net.IPAddress? SourceAddress { get; set; }

    /// <summary>
    /// Targets outside this location's network (<see cref="CanarySettings"/>); while every one of them fails, the location
    /// cannot reach the internet and its checks' verdicts are held. None by default: every verdict counts.
    /// </summary>
    public IReadOnlyList<MonitorDefinition> Canaries { get; set; } = [];

    /// <summary>How often the canaries are checked when nothing fails; a failing check asks them again at once.</summary>
    public int CanaryIntervalSeconds { get; set; } = CanarySettings.DefaultIntervalSeconds;
}

/// <summary><c>UptimeWatch:Live</c>: the public event stream (SSE and long polling).</summary>
internal sealed class LiveOptions
{
    /// <summary>A comment line this often keeps proxies from closing an idle stream.</summary>
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>The reconnect delay browsers are told to use (SSE <c>retry:</c>).</summary>
    public int RetryMs { get; set; } = 3000;

    /// <summary>Live connections (SSE and held polls) in total; more get 503.</summary>
    public int MaxStreams { get; set; } = 20_000;

    /// <summary>Live connections from one IP address; more get 429.</summary>
    public int MaxStreamsPerIp { get; set; } = 50;

    /// <summary>Events waiting for one slow client before it is disconnected (it resumes by id).</summary>
    public int ClientQueueSize { get; set; } = 256;

    /// <summary>The longest a long poll is held.</summary>
    public int MaxPollTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How often the public SSE stream gets one <c>checks</c> frame with the newest check of every public monitor
    /// checked since the last one. Status changes never wait for it: they go out at once.
    /// </summary>
    public int CheckFrameMs { get; set; } = 2000;

    /// <summary>
    /// The most status events a reconnecting client is replayed (SSE <c>Last-Event-ID</c>, long-poll <c>after</c>).
    /// A client further behind gets a reset instead: reloading the snapshot costs one request, replaying the whole
    /// log on every connection costs the server the log.
    /// </summary>
    public int MaxReplayEvents { get; set; } = 1000;
}

/// <summary><c>UptimeWatch:StatusPage</c>: what the public page says about itself.</summary>
internal sealed class StatusPageOptions
{
    public string Title { get; set; } = "Service status";
    public string? Description { get; set; }
    public string? LogoUrl { get; set; }
    public string? Footer { get; set; }

    /// <summary>
    /// Public surfaces (the page, the public API, SSE, long polling) show the full text of probe errors and status
    /// reasons, as the admin console does, instead of a category and a short public text. Off by default: the full
    /// text can name internal hosts and addresses, redirect URLs, response text and who paused a monitor.
    /// </summary>
    public bool ShowErrorDetails { get; set; }
}

/// <summary><c>UptimeWatch:Retention</c>: how long history is kept.</summary>
internal sealed class RetentionOptions
{
    /// <summary>Individual check results.</summary>
    public int RawDays { get; set; } = 7;

    /// <summary>Hourly and daily aggregates (and status events).</summary>
    public int RollupDays { get; set; } = 400;
}

/// <summary><c>UptimeWatch:Admin</c>: sign-in to the admin console and the write API.</summary>
internal sealed class AdminOptions
{
    public const int MinPasswordLength = 12;

    /// <summary>
    /// Creates the admin account at start-up when none exists yet (for unattended installs; set it from an
    /// environment variable or a secret, not the committed file). Ignored once an account exists. Without it the
    /// console asks for a password on first run: there is never a default password.
    /// </summary>
    public string? InitialPassword { get; set; }

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) besides the site's own that may open the admin WebSocket; anything
    /// else is refused, against cross-site WebSocket hijacking.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// The largest message (in bytes) a client may send on the admin WebSocket; a longer one closes the socket with
    /// 1009. Commands are small: a monitor definition with a few headers is well under 4 KiB.
    /// </summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    public const int DefaultMaxMessageBytes = 64 * 1024;

    /// <summary>
    /// The admin WebSocket pings every this many seconds, and drops a peer that has not answered a ping within as
    /// many seconds more (a laptop closed mid-session, which TCP alone notices only after many minutes).
    /// </summary>
    public int KeepAliveSeconds { get; set; } = DefaultKeepAliveSeconds;

    public const int DefaultKeepAliveSeconds = 15;
    public const int MinKeepAliveSeconds = 1;
    public const int MaxKeepAliveSeconds = 300;
    public const int MinMaxMessageBytes = 1024;
    public const int MaxMaxMessageBytes = 16 * 1024 * 1024;
}

/// <summary><c>UptimeWatch:Metrics</c>: the Prometheus scrape endpoint <c>GET /metrics</c>.</summary>
internal sealed class MetricsOptions
{
    public const int MinBearerTokenLength = 16;

    /// <summary>
    /// Serve <c>/metrics</c>. On by default: it shows counts, timings and monitor slugs (private ones too), never
    /// secrets or URLs. Without <see cref="BearerToken"/> only loopback clients get it (others 403).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When set, a scrape from any address must send <c>Authorization: Bearer &lt;token&gt;</c>; anything else gets 401.</summary>
    public string? BearerToken { get; set; }
}

/// <summary>
/// <c>UptimeWatch:ForwardedHeaders</c>: which reverse proxies may tell UptimeWatch the client's address and scheme
/// (<c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c>). Rate limits, connection limits, logs and the admin
/// WebSocket's Origin check then see the real client; from anyone else the headers are ignored.
/// </summary>
internal sealed class ForwardedHeadersSettings
{
    /// <summary>Addresses or networks (CIDR) of the proxies in front; the loopback addresses by default.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; set; } = DefaultTrustedProxies;

    public static readonly IReadOnlyList<System.Net.IPNetwork> DefaultTrustedProxies =
        [System.Net.IPNetwork.Parse("127.0.0.0/8"), System.Net.IPNetwork.Parse("::1/128")];
}
