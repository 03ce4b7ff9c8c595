using System.Text.Json.Nodes;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// A refused admin operation, with a code that both transports map the same way (see docs/admin-protocol.md):
/// the WebSocket sends it as an <c>error</c> reply, REST as problem details with the matching HTTP status.
/// </summary>
internal sealed class AdminCommandException(string code, string message, IReadOnlyDictionary<string, string>? fields = null)
    : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>Field → problem, for <c>validation</c> errors.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; } = fields;

    public static AdminCommandException NotFound(string what, string value) => new(AdminErrorCodes.NotFound, $"No {what} \"{value}\"");

    public static AdminCommandException BadRequest(string field, string? value, string message) =>
        new(AdminErrorCodes.BadRequest, value is null ? $"{field} {message}" : $"{field} \"{value}\" {message}",
            new Dictionary<string, string> { [field] = message });
}

internal static class AdminErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string UnknownCommand = "unknown_command";
    public const string Validation = "validation";
    public const string NotFound = "not_found";
    public const string ConfigManaged = "config_managed";
    public const string Conflict = "conflict";
    public const string Internal = "internal";

    /// <summary>REST only: a browser write from an origin other than the site's own (<see cref="AdminWriteGuard"/>).</summary>
    public const string CrossOrigin = "cross_origin";

    /// <summary>REST only: a browser write whose body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>REST only: not signed in, wrong password, or the session or token has ended.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>REST only: signed in, but not allowed this (a token creating tokens, a wrong setup code, a refused origin).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>REST only: the sign-in rate limit.</summary>
    public const string TooManyRequests = "too_many_requests";

    /// <summary>REST only: the server is too busy hashing passwords; try again after <c>Retry-After</c>.</summary>
    public const string Unavailable = "unavailable";

    public static int HttpStatus(string code) => code switch
    {
        NotFound => StatusCodes.Status404NotFound,
        Unauthorized => StatusCodes.Status401Unauthorized,
        CrossOrigin or Forbidden => StatusCodes.Status403Forbidden,
        UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ConfigManaged or Conflict => StatusCodes.Status409Conflict,
        TooManyRequests => StatusCodes.Status429TooManyRequests,
        Internal => StatusCodes.Status500InternalServerError,
        Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The code of a status set outside an endpoint (authentication, the rate limiter).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status429TooManyRequests => TooManyRequests,
        StatusCodes.Status503ServiceUnavailable => Unavailable,
        >= 500 => Internal,
        _ => BadRequest,
    };
}

/// <summary>One monitor as the console and the write API show it.</summary>
internal sealed record MonitorView(
    string Slug,
    string Name,
    string? Group,
    string Type,
    string Target,
    int IntervalSeconds,
    bool Public,
    string Source,
    string? ConfigFile,
    string Status,
    DateTimeOffset? StatusSince,
    DateTimeOffset? LastCheckedAt,
    int? LastResponseMs,
    string? PushUrl,
    IReadOnlyList<RecentCheck> Recent,
    IReadOnlyList<MaintenanceView> Maintenance,
    JsonObject Definition)
{
    /// <summary>Flapping: a flag beside the status (the console shows "unstable"); repeated notifications are held back meanwhile.</summary>
    public bool Flapping { get; init; }

    /// <summary>
    /// A monitor judged by quorum (docs/locations.md): one row per location, with what its own checks confirmed and when
    /// it last checked. Null for a monitor only this server checks.
    /// </summary>
    public IReadOnlyList<LocationRow>? Locations { get; init; }
}

/// <summary>
/// One location of a monitor: <paramref name="Status"/> is what its checks confirmed with the monitor's thresholds
/// (<c>unknown</c>, <c>up</c>, <c>degraded</c>, <c>down</c>), <c>offline</c> when it has not reported for three intervals,
/// or <c>cut-off</c> when its latest check was held because it could not reach the internet (its canaries failed).
/// </summary>
internal sealed record LocationRow(string Name, string Status, DateTimeOffset? LastCheckAt);

internal sealed record RecentCheck(DateTimeOffset At, string Outcome, int? ResponseMs);

internal sealed record MaintenanceView(long Id, string Monitor, DateTimeOffset Start, DateTimeOffset End, string? Reason);

/// <summary>The result of <c>monitors.checkNow</c>.</summary>
internal sealed record CheckNowResult(
    string Slug, DateTimeOffset At, string Outcome, int? ResponseMs, int? HttpStatus, string? Error, bool Recorded, string Status)
{
    public bool Flapping { get; init; }
}

internal sealed record ConfigStatus(string? File, IReadOnlyList<string> Errors)
{
    /// <summary>In a PostgreSQL cluster: whether this node's file is the one the cluster runs. Left out on SQLite.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Scheduling.ClusterConfigStatus? Cluster { get; init; }
}

/// <summary>A notification channel as APIs show it: no secret, and only the scheme and host of its URL.</summary>
internal sealed record ChannelView(string Name, string Type, string? Url);

internal sealed record ChannelTestResult(string Channel, bool Delivered, int? StatusCode, string? Error);

/// <summary>
/// One notification in the outbox and what became of it. <paramref name="Monitor"/> is the monitor's slug, null for a system alert
/// (about UptimeWatch itself); <paramref name="Subject"/> is what it is about as people read it: the monitor's name, or
/// the system alert's subject (<c>location eu-west</c>).
/// </summary>
internal sealed record NotificationView(long Id, string Key, long? AlertId, string? Monitor, string Subject, string Channel, string Event, string State, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DoneAt, string? LastError, IReadOnlyList<AttemptView> AttemptLog);

internal sealed record AttemptView(DateTimeOffset At, bool Delivered, int? StatusCode, string? Error, int DurationMs);

/// <summary>The replies that wrap a list or confirm a removal (the same over REST and the socket).</summary>
internal sealed record MonitorsResponse(IReadOnlyList<MonitorView> Monitors);
internal sealed record AlertsResponse(IReadOnlyList<Journal.AlertView> Alerts);
internal sealed record ChannelsResponse(IReadOnlyList<ChannelView> Channels);
internal sealed record NotificationsResponse(IReadOnlyList<NotificationView> Notifications);
internal sealed record DeletedMonitor(string Slug, bool Archived);
internal sealed record DeletedMaintenance(long Id, bool Deleted);
