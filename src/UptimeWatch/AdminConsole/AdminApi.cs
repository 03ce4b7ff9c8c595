using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Journal;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The REST write API: the admin operations of the WebSocket protocol for scripts and CI, with a session cookie or
/// an API token. Refusals are RFC 7807 problem details carrying the protocol's error <c>code</c> and, for validation,
/// <c>errors</c> (field → messages).
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization(AdminClaims.Policy)
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (AdminCommandException ex)
                {
                    return Problem(ex);
                }
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/monitors", async (AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(new MonitorsResponse(await commands.ListMonitorsAsync(ct))))
            .WithName("AdminListMonitors").WithSummary("Every active monitor, with live state, recent checks and its definition (secrets masked).");
        api.MapPost("/monitors", async (HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                var created = await commands.CreateMonitorAsync(MonitorJson.Flatten(await BodyAsync(request, ct), "body"), By(request.HttpContext.User), ct);
                return TypedResults.Created($"/api/admin/monitors/{created.Slug}", created);
            })
            .Accepts<JsonObject>("application/json").Produces<MonitorView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminCreateMonitor").WithSummary("Creates a console monitor from the same fields as a monitor in appsettings.json.");
        api.MapGet("/monitors/{slug}", async (string slug, AdminCommands commands, CancellationToken ct) => TypedResults.Ok(await commands.GetMonitorAsync(slug, ct)))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminGetMonitor").WithSummary("One monitor.");
        api.MapGet("/monitors/{slug}/checks", async (string slug, AdminCommands commands, CancellationToken ct, int? limit) =>
                TypedResults.Ok(new ChecksResponse(await commands.ChecksAsync(slug, limit, ct))))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminListChecks")
            .WithSummary("A monitor's most recent checks, newest first (limit 1-1000, default 50), with the probe's full error text.");
        api.MapPut("/monitors/{slug}", async (string slug, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(await commands.UpdateMonitorAsync(slug, MonitorJson.Flatten(await BodyAsync(request, ct), "body"), By(request.HttpContext.User), ct)))
            .Accepts<JsonObject>("application/json").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminUpdateMonitor")
            .WithSummary("Replaces a console monitor's definition (masked secrets sent back unchanged are kept). Config-file monitors are refused (409).");
        api.MapDelete("/monitors/{slug}", async (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) =>
            {
                await commands.DeleteMonitorAsync(slug, By(http.User), ct);
                return TypedResults.Ok(new DeletedMonitor(slug, true));
            })
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminDeleteMonitor").WithSummary("Archives a console monitor: no longer checked or listed, history kept.");
        api.MapPost("/monitors/{slug}/pause", async (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(await commands.PauseAsync(slug, By(http.User), ct)))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminPauseMonitor").WithSummary("Stops checking and alerting; an open alert is resolved.");
        api.MapPost("/monitors/{slug}/resume", async (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(await commands.ResumeAsync(slug, By(http.User), ct)))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminResumeMonitor").WithSummary("Checks again, judging from scratch.");
        api.MapPost("/monitors/{slug}/check", async (string slug, AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(await commands.CheckNowAsync(slug, ct)))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminCheckNow").WithSummary("Runs a check at once and returns its result.");
        api.MapPost("/monitors/{slug}/maintenance", async (string slug, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                var body = await BodyAsync(request, ct);
                var window = await commands.CreateMaintenanceAsync(slug, Time(body, "start"), Time(body, "end"), Int(body, "minutes"), Text(body, "reason"),
                    By(request.HttpContext.User), ct);
                return TypedResults.Created($"/api/admin/maintenance/{window.Id.ToString(CultureInfo.InvariantCulture)}", window);
            })
            .Accepts<MaintenanceRequest>("application/json").Produces<MaintenanceView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("AdminCreateMaintenance").WithSummary("A maintenance window: start (default now), and end or minutes.");
        api.MapDelete("/maintenance/{id:long}", async (long id, AdminCommands commands, CancellationToken ct) =>
            {
                await commands.DeleteMaintenanceAsync(id, ct);
                return TypedResults.Ok(new DeletedMaintenance(id, true));
            })
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminDeleteMaintenance").WithSummary("Removes a maintenance window.");
        api.MapGet("/alerts", async (AdminCommands commands, CancellationToken ct, string? state = null, int? limit = null) =>
            {
                var openOnly = state switch
                {
                    null or "open" => true,
                    "all" => false,
                    _ => throw AdminCommandException.BadRequest("state", state, "must be open or all"),
                };
                return TypedResults.Ok(new AlertsResponse(await commands.ListAlertsAsync(openOnly, limit ?? 100, ct)));
            })
            .WithName("AdminListAlerts").WithSummary("Alerts, newest first: open ones (default) or all.");
        api.MapPost("/alerts/{id:long}/ack", async (long id, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                var note = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0 ? Text(await BodyAsync(request, ct), "note") : null;
                return TypedResults.Ok(await commands.AcknowledgeAlertAsync(id, By(request.HttpContext.User), note, ct));
            })
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminAcknowledgeAlert").WithSummary("Acknowledges an alert (optional body: {\"note\":\"…\"}).");
        api.MapGet("/export", async (AdminCommands commands, CancellationToken ct) => TypedResults.Ok(await commands.ExportAsync(ct)))
            .WithName("AdminExport").WithSummary("Every active monitor as an appsettings.json block.");
        api.MapGet("/channels", (AdminCommands commands) => TypedResults.Ok(new ChannelsResponse(commands.ListChannels())))
            .WithName("AdminListChannels").WithSummary("The notification channels (no secrets).");
        api.MapPost("/channels/{name}/test", async (string name, HttpContext http, AdminCommands commands, CancellationToken ct) =>
                TypedResults.Ok(await commands.TestChannelAsync(name, By(http.User), ct)))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminTestChannel")
            .WithSummary("Sends a test notification to the channel now and returns what the receiver answered.");
        api.MapGet("/notifications", async (AdminCommands commands, CancellationToken ct, int? limit = null) =>
                TypedResults.Ok(new NotificationsResponse(await commands.ListNotificationsAsync(limit ?? 100, ct))))
            .WithName("AdminListNotifications").WithSummary("The newest notifications in the outbox, with every delivery attempt.");
        api.MapGet("/config", (AdminCommands commands) => TypedResults.Ok(commands.ConfigStatus()))
            .WithName("AdminConfigStatus").WithSummary("The config file, and the errors of its last rejected edit.");
        api.MapGet("/storage", (AdminCommands commands) => TypedResults.Ok(commands.StorageStatus()))
            .WithName("AdminStorageStatus").WithSummary("Whether writes to the database have been failing (a full disk), since when, and why.");
        return app;
    }

    /// <summary>Who is asking, for the log and the event log: the user, and the token's name when it is a token.</summary>
    public static string By(ClaimsPrincipal user)
    {
        var name = user.Identity?.Name ?? "admin";
        return user.FindFirstValue(AdminClaims.TokenName) is { } token ? $"{name} (token {token})" : name;
    }

    internal static IResult Problem(AdminCommandException ex)
    {
        var status = AdminErrorCodes.HttpStatus(ex.Code);
        var extensions = new Dictionary<string, object?> { ["code"] = ex.Code };
        if (ex.Fields is { Count: > 0 } fields)
        {
            extensions["errors"] = fields.ToDictionary(f => f.Key, f => new[] { f.Value });
        }
        return TypedResults.Problem(ex.Message, statusCode: status, title: Title(ex.Code),
            type: $"https://uptimewatch.dev/problems/{ex.Code.Replace('_', '-')}", extensions: extensions);
    }

    private static string Title(string code) => code switch
    {
        AdminErrorCodes.Validation => "The request is not valid",
        AdminErrorCodes.NotFound => "Not found",
        AdminErrorCodes.ConfigManaged => "Defined in the config file",
        AdminErrorCodes.Conflict => "Conflict",
        AdminErrorCodes.Internal => "Unexpected error",
        AdminErrorCodes.CrossOrigin => "Cross-origin request refused",
        AdminErrorCodes.UnsupportedMediaType => "Unsupported media type",
        _ => "Bad request",
    };

    private static async Task<JsonElement> BodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw AdminCommandException.BadRequest("body", null, $"is not valid JSON: {ex.Message}");
        }
    }

    private static string? Text(JsonElement body, string name) => Property(body, name) is { } p
        ? p.ValueKind == JsonValueKind.String ? p.GetString() : throw AdminCommandException.BadRequest(name, p.GetRawText(), "must be a string")
        : null;

    private static int? Int(JsonElement body, string name) => Property(body, name) is { } p
        ? p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var n) ? n : throw AdminCommandException.BadRequest(name, p.GetRawText(), "must be a whole number")
        : null;

    private static DateTimeOffset? Time(JsonElement body, string name) => Property(body, name) is { } p
        ? p.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(p.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw AdminCommandException.BadRequest(name, p.ValueKind == JsonValueKind.String ? p.GetString() : p.GetRawText(),
                "must be a date and time, e.g. 2026-11-25T22:00:00Z")
        : null;

    /// <summary>A property of a JSON object body (null when absent or null).</summary>
    public static JsonElement? Property(JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw AdminCommandException.BadRequest("body", null, "must be a JSON object");
        }
        return body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }
}

internal sealed record MonitorsResponse(IReadOnlyList<MonitorView> Monitors);
internal sealed record AlertsResponse(IReadOnlyList<AlertView> Alerts);
internal sealed record ChannelsResponse(IReadOnlyList<ChannelView> Channels);
internal sealed record NotificationsResponse(IReadOnlyList<NotificationView> Notifications);
internal sealed record DeletedMonitor(string Slug, bool Archived);
internal sealed record DeletedMaintenance(long Id, bool Deleted);
internal sealed record MaintenanceRequest(DateTimeOffset? Start, DateTimeOffset? End, int? Minutes, string? Reason);
