using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// An admin command's request, one record per command (<see cref="AdminCommandTable"/>). The WebSocket binds it from
/// the payload with <see cref="AdminRequestBinder"/> (JSON types checked there); REST builds it from the route, the
/// query and the body. Either way <see cref="Validate"/> runs once, in <see cref="AdminCommands"/>, before the handler.
/// </summary>
internal interface IAdminRequest
{
    /// <summary>What JSON types cannot say: required fields and ranges. Throws <see cref="AdminCommandException"/>.</summary>
    void Validate()
    {
    }
}

/// <summary>A request whose handler answers <typeparamref name="TResult"/> (the reply payload of both transports).</summary>
internal interface IAdminRequest<TResult> : IAdminRequest;

/// <summary>The request of a command the socket itself answers (subscribe, unsubscribe): REST has no such command.</summary>
internal interface ISocketRequest : IAdminRequest;

/// <summary>The checks the records share; each names the field and, when there is one, the value sent.</summary>
internal static class Check
{
    public static string Required(string? value, string field) =>
        value ?? throw AdminCommandException.BadRequest(field, null, "is required");

    public static long Required(long? value, string field) =>
        value ?? throw AdminCommandException.BadRequest(field, null, "is required");

    public static JsonElement Required(JsonElement? value, string field) =>
        value is { ValueKind: not JsonValueKind.Null } element ? element : throw AdminCommandException.BadRequest(field, null, "is required");

    public static void Range(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw AdminCommandException.BadRequest(field, value.ToString(CultureInfo.InvariantCulture), $"must be from {min} to {max}");
        }
    }

    /// <summary>Values echoed in a message are the caller's text: bounded.</summary>
    public static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}

/// <summary>The commands addressed to one monitor by its slug.</summary>
internal abstract record MonitorRequest(string? Slug) : IAdminRequest
{
    public virtual void Validate() => Check.Required(Slug, "slug");
}

internal sealed record ListMonitors : IAdminRequest<MonitorsResponse>;

internal sealed record GetMonitor(string? Slug) : MonitorRequest(Slug), IAdminRequest<MonitorView>;

/// <summary>REST only: <c>GET /api/admin/monitors/{slug}/checks</c>.</summary>
internal sealed record ListChecks(string? Slug, int? Limit) : MonitorRequest(Slug), IAdminRequest<Journal.ChecksResponse>
{
    /// <summary>How many checks one answer may hold.</summary>
    public const int MaxChecks = 1000;

    public int Take => Limit ?? 50;

    // The limit first: it is checked before the monitor is looked up, as it always was.
    public override void Validate()
    {
        if (Take is < 1 or > MaxChecks)
        {
            throw AdminCommandException.BadRequest("limit", Limit?.ToString(CultureInfo.InvariantCulture), $"must be from 1 to {MaxChecks}");
        }
        base.Validate();
    }
}

/// <summary><paramref name="Monitor"/>: the monitor's fields, as in appsettings.json.</summary>
internal sealed record CreateMonitor(JsonElement? Monitor) : IAdminRequest<MonitorView>
{
    /// <summary>What the fields are called in messages: <c>monitor</c> in a socket payload, <c>body</c> over REST.</summary>
    [JsonIgnore]
    public string MonitorField { get; init; } = "monitor";

    public void Validate() => Check.Required(Monitor, MonitorField);
}

internal sealed record UpdateMonitor(string? Slug, JsonElement? Monitor) : MonitorRequest(Slug), IAdminRequest<MonitorView>
{
    [JsonIgnore]
    public string MonitorField { get; init; } = "monitor";

    public override void Validate()
    {
        base.Validate();
        Check.Required(Monitor, MonitorField);
    }
}

internal sealed record DeleteMonitor(string? Slug) : MonitorRequest(Slug), IAdminRequest<DeletedMonitor>;

internal sealed record PauseMonitor(string? Slug) : MonitorRequest(Slug), IAdminRequest<MonitorView>;

internal sealed record ResumeMonitor(string? Slug) : MonitorRequest(Slug), IAdminRequest<MonitorView>;

internal sealed record CheckMonitorNow(string? Slug) : MonitorRequest(Slug), IAdminRequest<CheckNowResult>;

internal sealed record ExportMonitors : IAdminRequest<System.Text.Json.Nodes.JsonObject>;

/// <summary><paramref name="State"/>: <c>open</c> (the default) or <c>all</c>.</summary>
internal sealed record ListAlerts(string? State, int? Limit) : IAdminRequest<AlertsResponse>
{
    public const int MaxAlerts = 1000;

    public bool OpenOnly => State is null or "open";

    public void Validate()
    {
        if (State is not (null or "open" or "all"))
        {
            throw AdminCommandException.BadRequest("state", Check.Shorten(State), "must be open or all");
        }
        Check.Range(Limit ?? 100, 1, MaxAlerts, "limit");
    }
}

internal sealed record AcknowledgeAlert(long? Id, string? Note) : IAdminRequest<Journal.AlertView>
{
    public void Validate()
    {
        Check.Required(Id, "id");
        if (Note is { Length: > 1000 })
        {
            throw AdminCommandException.BadRequest("note", null, "is longer than 1000 characters");
        }
    }
}

/// <summary>A window from <paramref name="Start"/> (default now) to <paramref name="End"/> or for <paramref name="Minutes"/>.</summary>
internal sealed record CreateMaintenance(string? Slug, DateTimeOffset? Start, DateTimeOffset? End, int? Minutes, string? Reason)
    : MonitorRequest(Slug), IAdminRequest<MaintenanceView>;

internal sealed record DeleteMaintenance(long? Id) : IAdminRequest<DeletedMaintenance>
{
    public void Validate() => Check.Required(Id, "id");
}

internal sealed record GetConfigStatus : IAdminRequest<ConfigStatus>;

internal sealed record GetStorageStatus : IAdminRequest<Journal.StorageStatus>;

internal sealed record ListChannels : IAdminRequest<ChannelsResponse>;

internal sealed record TestChannel(string? Channel) : IAdminRequest<ChannelTestResult>
{
    public void Validate() => Check.Required(Channel, "channel");
}

internal sealed record ListNotifications(int? Limit) : IAdminRequest<NotificationsResponse>
{
    public void Validate() => Check.Range(Limit ?? 100, 1, 500, "limit");
}

/// <summary><paramref name="After"/>: the last seq the client has; without it only new events are pushed.</summary>
internal sealed record Subscribe(long? After) : ISocketRequest;

internal sealed record Unsubscribe : ISocketRequest;
